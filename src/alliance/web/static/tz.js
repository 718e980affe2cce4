// Times are shown in the reader's time zone: tell the server which one the browser uses.
// A cookie, read by alliance.web.pages.rendering; until it is set, pages show UTC.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  var current = document.cookie.split("; ").filter(function (c) { return c.indexOf("alliance_tz=") === 0; })[0];
  var value = encodeURIComponent(zone);
  if (current !== "alliance_tz=" + value) {
    document.cookie = "alliance_tz=" + value + "; path=/; SameSite=Strict; max-age=31536000";
  }
})();

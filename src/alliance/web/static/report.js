// The public forms' proof of work (the report form, the appeal form: any form with data-bits): find a nonce such that
// SHA-256(challenge + ":" + nonce) starts with `bits` zero bits, then submit.
// Mirrors alliance.takedown.public.leading_zero_bits; no outside service is involved.
(function () {
  "use strict";

  function leadingZeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      var b = bytes[i];
      if (b === 0) {
        bits += 8;
        continue;
      }
      var n = 0;
      while ((b & 0x80) === 0) {
        n += 1;
        b <<= 1;
      }
      return bits + n;
    }
    return bits;
  }

  function bitsOf(form, challenge) {
    var parts = challenge.split(".");
    var fromChallenge = parts.length === 4 ? parseInt(parts[2], 10) : NaN;
    if (!isNaN(fromChallenge)) return fromChallenge;
    return parseInt(form.getAttribute("data-bits") || "0", 10);
  }

  async function solve(challenge, bits) {
    var encoder = new TextEncoder();
    var batch = 256;
    for (var start = 0; ; start += batch) {
      var digests = [];
      for (var n = start; n < start + batch; n++) {
        digests.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n)));
      }
      var results = await Promise.all(digests);
      for (var i = 0; i < results.length; i++) {
        if (leadingZeroBits(new Uint8Array(results[i])) >= bits) return String(start + i);
      }
    }
  }

  function attach(form) {
    var status = document.getElementById("pow-status");
    var button = form.querySelector("button[type=submit]");
    var working = false;
    form.setAttribute("data-ready", "true");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (working || !form.reportValidity()) return;
      if (!window.crypto || !crypto.subtle) {
        status.textContent = "This form needs a secure (https) connection for its anti-abuse check.";
        status.hidden = false;
        return;
      }
      working = true;
      button.disabled = true;
      status.textContent = "checking…";
      status.hidden = false;
      var challenge = form.elements.namedItem("challenge").value;
      solve(challenge, bitsOf(form, challenge)).then(
        function (nonce) {
          form.elements.namedItem("nonce").value = nonce;
          status.textContent = "sending…";
          form.submit();
        },
        function () {
          working = false;
          button.disabled = false;
          status.textContent = "The anti-abuse check failed; reload the page and try again.";
        }
      );
    });
  }

  function init() {
    var form = document.querySelector("form[data-bits]");
    if (form) attach(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

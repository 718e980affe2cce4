// "Copy" buttons: <button type="button" data-copy="ID"> copies the text of the element ID
// (a full hash). The clipboard API where the browser offers it (HTTPS or localhost);
// otherwise the text is selected (and copied where the browser still allows it) so the
// user can press Ctrl+C. One listener for every page, boosted by htmx or not (the CSP
// allows no inline script).
"use strict";
(function () {
  function say(button, word) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = word;
    window.setTimeout(function () {
      button.textContent = original;
    }, 2500);
  }

  function selectText(button, source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    say(button, copied ? "Copied" : "Selected: press Ctrl+C");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var text = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          say(button, "Copied");
        },
        function () {
          selectText(button, source);
        }
      );
    } else {
      selectText(button, source);
    }
  });
})();

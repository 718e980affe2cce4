// Forms that cannot be undone ask first: <form data-confirm="...">. One listener for every
// page, boosted by htmx or not (the CSP allows no inline script). It runs in the capture
// phase on the window, before htmx's own submit handling, and stops a declined submission
// there.
"use strict";
window.addEventListener(
  "submit",
  function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  },
  true
);

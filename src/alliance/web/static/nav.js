// The navigation's menus are <details>: they open and close without script, by mouse and
// keyboard. This adds what script can: on a phone the whole navigation folds behind the
// "Menu" button (only when script runs: without it the navigation stays open), Escape
// closes an open menu, and a click elsewhere closes it. Loaded in <head>, not deferred, so
// the page is marked as scripted before it is drawn; listeners sit on the document, so
// pages swapped in by htmx need nothing more. The CSP allows no inline script.
"use strict";
document.documentElement.classList.add("js");

(function () {
  function openMenus() {
    return document.querySelectorAll(".mainnav details[open]");
  }

  function closeMenus(except) {
    openMenus().forEach(function (menu) {
      if (menu !== except) {
        menu.removeAttribute("open");
      }
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target.closest ? target.closest(".menu-button") : null;
    if (button) {
      var bar = button.closest(".topbar");
      var open = bar.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    // A click outside the open menu closes it (another menu's summary opens that one).
    var inside = target.closest ? target.closest(".mainnav details") : null;
    closeMenus(inside);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var active = document.activeElement;
    var menu = active && active.closest ? active.closest(".mainnav details[open]") : null;
    if (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
      return;
    }
    var bar = document.querySelector(".topbar.open");
    if (bar) {
      bar.classList.remove("open");
      var button = bar.querySelector(".menu-button");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();

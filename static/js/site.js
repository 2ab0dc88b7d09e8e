// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // The table of contents starts open so it is visible without JavaScript; on a phone
  // it would push the lesson below the fold, so fold it there.
  function foldToc() {
    var toc = document.querySelector("[data-toc]");
    if (toc && window.matchMedia("(max-width: 63.99rem)").matches) {
      toc.removeAttribute("open");
    }
  }

  // After htmx swaps a check, the button that was pressed is gone; move focus to the
  // new content so keyboard and screen-reader users land on the answer.
  function focusSwapped(event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.querySelector) return;
    var next = target.matches("[data-autofocus]") ? target : target.querySelector("[data-autofocus]");
    if (!next) {
      var check = document.getElementById(target.id);
      next = check && check.querySelector("[data-autofocus]");
    }
    if (next) next.focus({ preventScroll: false });
  }

  document.addEventListener("DOMContentLoaded", foldToc);
  document.addEventListener("htmx:afterSettle", focusSwapped);
})();

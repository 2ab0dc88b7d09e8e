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

  // The think clock. A check's clock starts when it is on screen and the learner can act
  // on it (at least half of it in the viewport of a visible tab), not when the page
  // loaded: a check far down a lesson is not being thought about while the learner reads
  // above it. Each post says how long its check has been on screen ("onscreen", ms);
  // the server turns that into the attempt's think time. Without this script the field
  // stays empty and the attempt records that its timing is unknown.
  // "On screen": half of the check visible, or (a check taller than the screen) half the screen filled by it.
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var check = entry.target;
      check.__inView = entry.isIntersecting && (entry.intersectionRatio >= 0.5 ||
        entry.intersectionRect.height >= window.innerHeight * 0.5);
      startClock(check);
    });
  }, { threshold: [0, 0.25, 0.5, 0.75, 1] }) : null;

  function startClock(check) {
    if (check.__onscreenAt === undefined && check.__inView && document.visibilityState === "visible") {
      check.__onscreenAt = performance.now();
      check.setAttribute("data-onscreen-started", "");
    }
  }

  function watchChecks(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var checks = Array.prototype.slice.call(scope.querySelectorAll("[data-check]"));
    if (scope.matches && scope.matches("[data-check]")) checks.push(scope);
    checks.forEach(function (check) {
      if (check.__watched) return;
      check.__watched = true;
      if (observer) observer.observe(check);
      else { check.__inView = true; startClock(check); }
    });
  }

  function stampOnscreen(form) {
    var check = form && form.closest && form.closest("[data-check]");
    var field = form && form.querySelector && form.querySelector("[data-onscreen]");
    // Never seen on screen by the observer: since when is unknown, so say nothing (a zero
    // would read as an instant answer).
    if (!check || !field || check.__onscreenAt === undefined) return;
    field.value = String(Math.max(0, Math.round(performance.now() - check.__onscreenAt)));
  }

  document.addEventListener("DOMContentLoaded", function () {
    foldToc();
    watchChecks(document);
  });
  document.addEventListener("visibilitychange", function () {
    document.querySelectorAll("[data-check]").forEach(startClock);
  });
  // Capture phase: runs before htmx reads the form's fields for its request.
  document.addEventListener("submit", function (event) { stampOnscreen(event.target); }, true);
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail && event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (!form) return;
    stampOnscreen(form);
    var field = form.querySelector("[data-onscreen]");
    if (field && field.value && event.detail.parameters) {
      if (typeof event.detail.parameters.set === "function") event.detail.parameters.set("onscreen", field.value);
      else event.detail.parameters.onscreen = field.value;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    focusSwapped(event);
    // An outerHTML swap replaces the element htmx reports, so look at the whole page (cheap: checks are marked).
    watchChecks(document);
  });
})();

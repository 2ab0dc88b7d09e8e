// Keyboard shortcuts for the Review page: Space reveals, 1-4 grade (or pick an option),
// Enter submits a picked option. Only shortcuts: every action is also a plain button.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" && target.type !== "radio" || tag === "TEXTAREA" || tag === "SELECT" ||
      (target && target.isContentEditable);
  }

  // A real click, not form.requestSubmit(button): htmx reads the pressed button's
  // name/value from the click it saw, so a keyboard submit must go through a click.
  function submit(form, button) {
    var target = button || form.querySelector('button[type="submit"], button:not([type])');
    if (target) target.click();
    else if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  document.addEventListener("keydown", function (event) {
    var region = document.querySelector("[data-review]");
    if (!region || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var key = event.key;
    if (key === " " || key === "Spacebar") {
      var reveal = region.querySelector("[data-reveal]");
      if (reveal) {
        event.preventDefault();
        reveal.click();
      }
      return;
    }
    var choice = region.querySelector("[data-review-choice]");
    if (/^[1-9]$/.test(key)) {
      if (choice) {
        var radio = choice.querySelector('input[type="radio"][data-key="' + key + '"]');
        if (radio) {
          event.preventDefault();
          radio.checked = true;
          radio.focus();
        }
        return;
      }
      var grade = region.querySelector('.grade-form button[data-key="' + key + '"]');
      if (grade) {
        event.preventDefault();
        submit(grade.form, grade);
      }
      return;
    }
    if (key === "Enter" && choice && choice.querySelector('input[type="radio"]:checked')) {
      event.preventDefault();
      submit(choice, null);
    }
  });
})();

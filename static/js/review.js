// Keyboard shortcuts for the Review page: Space reveals (or moves to the next card after a
// miss), 1-4 grade, pick an option or tick a key point, Enter submits a picked option or the
// ticked checklist. Only shortcuts: every action is also a plain button.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox" ||
      tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
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
      var action = region.querySelector("[data-reveal], [data-next]");
      if (action) {
        event.preventDefault();
        action.click();
      }
      return;
    }
    // Digits follow the order shown on screen (the server shuffles options per learner).
    var choice = region.querySelector("[data-check-choice]");
    var checklist = region.querySelector(".checklist-form");
    if (/^[1-9]$/.test(key)) {
      if (choice || checklist) {
        var box = (choice || checklist).querySelector('input[data-key="' + key + '"]');
        if (box) {
          event.preventDefault();
          box.checked = box.type === "radio" ? true : !box.checked;
          box.focus();
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
    if (key === "Enter") {
      if (choice && choice.querySelector('input[type="radio"]:checked')) {
        event.preventDefault();
        submit(choice, null);
      } else if (checklist) {
        event.preventDefault();
        submit(checklist, null);
      }
    }
  });
})();

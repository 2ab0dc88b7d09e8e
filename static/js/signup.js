// Preselect the browser's own zone when the learner has not picked one, so most never touch the list.
// A static file rather than an inline script: the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";
  function preselectZone() {
    var select = document.getElementById("id_time_zone");
    if (!select || select.value !== "UTC" || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) {
        select.value = zone;
        return;
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", preselectZone);
  } else {
    preselectZone();
  }
})();

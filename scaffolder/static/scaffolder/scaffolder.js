// Create pages, small enhancements (every page works without them): on a narrow screen the gallery's
// filters start folded so the templates come first; the live log of a task stays scrolled to its end.
(function () {
  "use strict";

  function fold(root) {
    if (!window.matchMedia || !window.matchMedia("(max-width: 900px)").matches) return;
    (root || document).querySelectorAll("details.facet-panel[data-fold-narrow]").forEach(function (panel) {
      if (!panel.dataset.touched) panel.removeAttribute("open");
    });
  }

  function taskLog() {
    return document.getElementById("task-log");
  }

  var following = true;

  document.addEventListener("DOMContentLoaded", function () {
    fold(document);
    var log = taskLog();
    if (log) log.scrollTop = log.scrollHeight;
  });
  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.facet-panel")) event.target.dataset.touched = "1";
  }, true);
  document.addEventListener("htmx:afterSwap", function (event) { fold(event.target); });
  document.addEventListener("htmx:oobBeforeSwap", function () {
    var log = taskLog();
    if (log) following = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var log = taskLog();
    if (log && following) log.scrollTop = log.scrollHeight;
  });
})();

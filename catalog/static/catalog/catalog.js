// Catalog pages: on a narrow screen the filters start folded, so the results come first.
(function () {
  "use strict";
  function fold(root) {
    if (!window.matchMedia || !window.matchMedia("(max-width: 900px)").matches) return;
    (root || document).querySelectorAll("details.facet-panel[data-fold-narrow]").forEach(function (panel) {
      if (!panel.dataset.touched) panel.removeAttribute("open");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fold(document); });
  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.facet-panel")) event.target.dataset.touched = "1";
  }, true);
  document.addEventListener("htmx:afterSwap", function (event) { fold(event.target); });
})();

// Catalog pages: on a narrow screen the filters start folded, so the results come first. The list's
// requests wait for each other (hx-sync queue, nothing is cancelled); an answer to a request the
// person has since changed (typed on, ticked another facet) is not shown, the next one is; and the
// list's addresses leave out the fields left empty (no search, no order, every entity shown).
(function () {
  "use strict";
  function fold(root) {
    if (!window.matchMedia || !window.matchMedia("(max-width: 900px)").matches) return;
    (root || document).querySelectorAll("details.facet-panel[data-fold-narrow]").forEach(function (panel) {
      if (!panel.dataset.touched) panel.removeAttribute("open");
    });
  }

  function filled(formData) {
    Array.from(new Set(formData.keys())).forEach(function (name) {
      if (formData.getAll(name).every(function (value) { return value === ""; })) formData.delete(name);
    });
    return formData;
  }

  function query(formData) {
    var pairs = Array.from(formData.entries()).map(function (pair) { return pair[0] + "=" + pair[1]; });
    return pairs.sort().join("&");
  }

  function fromTheBrowser(detail) {
    return Boolean(detail.requestConfig && detail.requestConfig.elt && detail.requestConfig.elt.id === "catalog-browser");
  }

  document.addEventListener("DOMContentLoaded", function () { fold(document); });
  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.facet-panel")) event.target.dataset.touched = "1";
  }, true);
  document.addEventListener("htmx:afterSwap", function (event) { fold(event.target); });
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id === "catalog-browser") filled(event.detail.formData);
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!fromTheBrowser(event.detail)) return;
    var asked = query(event.detail.requestConfig.formData);
    if (asked !== query(filled(new FormData(event.detail.requestConfig.elt)))) event.detail.shouldSwap = false;
  });
})();

// Applies the saved colour theme before the page paints (no flash of the wrong theme).
(function () {
  try {
    var theme = localStorage.getItem("atrium-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) { /* storage unavailable: follow the system theme */ }
})();

// Applies the stored theme before the page paints (no flash of the wrong one).
// A classic script, not a module, so it runs before first paint.
(function () {
  try {
    var t = localStorage.getItem('warden.theme');
    if (t === 'dark' || t === 'light') document.documentElement.dataset.theme = t;
  } catch (e) {
    // storage disabled: follow the system
  }
})();

// Sets data-theme before the page paints (no flash of the wrong one): the
// stored choice, else the system's, followed while no choice is stored.
// A classic script, not a module, so it runs before first paint.
(function () {
  var system = matchMedia('(prefers-color-scheme: dark)');
  function stored() {
    try {
      var t = localStorage.getItem('warden.theme');
      return t === 'dark' || t === 'light' ? t : null;
    } catch (e) {
      return null; // storage disabled: follow the system
    }
  }
  function apply() {
    document.documentElement.dataset.theme = stored() || (system.matches ? 'dark' : 'light');
  }
  apply();
  system.addEventListener('change', function () {
    if (!stored()) apply();
  });
})();

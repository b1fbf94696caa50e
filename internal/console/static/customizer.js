// Gatehouse console, JWT customizer page: line numbers beside the script
// editor, and the test result brought into view. The page works without it.
(function () {
  'use strict';
  function sync(area, gutter) {
    var n = area.value.split('\n').length;
    var out = [];
    for (var i = 1; i <= n; i++) { out.push(i); }
    gutter.textContent = out.join('\n');
    gutter.scrollTop = area.scrollTop;
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-lines-for]').forEach(function (gutter) {
      var area = document.getElementById(gutter.getAttribute('data-lines-for'));
      if (!area) { return; }
      area.addEventListener('input', function () { sync(area, gutter); });
      area.addEventListener('scroll', function () { gutter.scrollTop = area.scrollTop; });
      sync(area, gutter);
    });
    var result = document.getElementById('test-result');
    if (result) { result.scrollIntoView({ block: 'start' }); result.focus({ preventScroll: true }); }
  });
})();

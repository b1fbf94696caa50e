// Gatehouse console: small enhancements. Every page works without this
// file; it adds copy buttons, secret reveal, live JSON checks, confirmations
// and filters. No inline handlers (the Content-Security-Policy forbids them).
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  function byId(id) { return document.getElementById(id); }

  function copyText(text, button) {
    var done = function () {
      var label = button.textContent;
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var t = document.createElement('textarea');
    t.value = text;
    t.setAttribute('readonly', '');
    t.className = 'sr-only';
    document.body.appendChild(t);
    t.select();
    try { document.execCommand('copy'); } catch (e) { /* nothing else to try */ }
    document.body.removeChild(t);
  }

  document.addEventListener('click', function (ev) {
    var el = ev.target.closest('[data-copy]');
    if (el) {
      var src = byId(el.getAttribute('data-copy'));
      if (src) { copyText(src.value !== undefined && src.tagName !== 'PRE' ? src.value : src.textContent, el); }
      return;
    }
    el = ev.target.closest('[data-reveal]');
    if (el) {
      ev.preventDefault();
      var input = byId(el.getAttribute('data-reveal'));
      if (input) {
        var show = input.type === 'password';
        input.type = show ? 'text' : 'password';
        el.textContent = show ? 'Hide' : 'Show';
      }
      return;
    }
    el = ev.target.closest('[data-confirm]');
    if (el && !window.confirm(el.getAttribute('data-confirm'))) {
      ev.preventDefault();
    }
  });

  // Custom data editors: say at once whether the text is a JSON object.
  function checkJSON(area) {
    var msg = '';
    var v = area.value.trim();
    if (v !== '') {
      try {
        var parsed = JSON.parse(v);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          msg = 'Custom data must be a JSON object, like {"tier": "gold"}.';
        }
      } catch (e) {
        msg = 'This is not valid JSON: ' + e.message;
      }
    }
    var out = area.parentNode.querySelector('[data-json-error]');
    if (out) { out.textContent = msg; out.hidden = msg === ''; }
    area.setAttribute('aria-invalid', msg === '' ? 'false' : 'true');
    var submit = area.form && area.form.querySelector('[type="submit"]');
    if (submit) { submit.disabled = msg !== ''; }
  }

  function mustEqual(input) {
    var submit = input.form && input.form.querySelector('[type="submit"]');
    if (submit) { submit.disabled = input.value.trim() !== input.getAttribute('data-must-equal'); }
  }

  function filter(input) {
    var box = document.querySelector(input.getAttribute('data-filter'));
    if (!box) { return; }
    var q = input.value.trim().toLowerCase();
    box.querySelectorAll('[data-filter-text]').forEach(function (row) {
      row.hidden = q !== '' && row.getAttribute('data-filter-text').toLowerCase().indexOf(q) < 0;
    });
    box.querySelectorAll('[data-filter-group]').forEach(function (g) {
      g.hidden = g.querySelector('[data-filter-text]:not([hidden])') === null;
    });
  }

  document.addEventListener('input', function (ev) {
    var t = ev.target;
    if (t.matches('[data-json]')) { checkJSON(t); }
    if (t.matches('[data-must-equal]')) { mustEqual(t); }
    if (t.matches('[data-filter]')) { filter(t); }
  });

  document.addEventListener('change', function (ev) {
    if (ev.target.matches('select[data-autosubmit]') && ev.target.form) {
      var page = ev.target.form.querySelector('[name="page"]');
      if (page) { page.value = '1'; }
      ev.target.form.submit();
    }
  });

  // Narrow screens: the navigation opens and closes behind the Menu button.
  document.addEventListener('click', function (ev) {
    var t = ev.target.closest('.menu-toggle');
    var nav = byId('sidebar');
    if (!nav) { return; }
    if (t) {
      var open = !nav.classList.contains('open');
      nav.classList.toggle('open', open);
      t.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open) { var first = nav.querySelector('a'); if (first) { first.focus(); } }
    }
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Escape') { return; }
    var nav = byId('sidebar');
    var t = document.querySelector('.menu-toggle');
    if (nav && nav.classList.contains('open') && t) {
      nav.classList.remove('open');
      t.setAttribute('aria-expanded', 'false');
      t.focus();
    }
    document.querySelectorAll('details.popover[open]').forEach(function (d) {
      d.open = false;
      d.querySelector('summary').focus();
    });
  });

  // Popovers are fixed to the viewport (CSS); place each beside its
  // button, inside the viewport.
  function place(d) {
    var pop = d.querySelector('.pop');
    if (!pop) { return; }
    var r = d.querySelector('summary').getBoundingClientRect();
    var vw = document.documentElement.clientWidth;
    var vh = document.documentElement.clientHeight;
    pop.classList.add('placed');
    var w = pop.offsetWidth;
    var h = pop.offsetHeight;
    var left = Math.min(Math.max(8, r.right - w), vw - w - 8);
    var top = r.bottom + 6;
    if (top + h > vh - 8) { top = r.top - h - 6; }
    top = Math.min(Math.max(8, top), Math.max(8, vh - h - 8));
    pop.style.left = Math.max(8, left) + 'px';
    pop.style.top = top + 'px';
  }
  function placeAll() { document.querySelectorAll('details.popover[open]').forEach(place); }
  document.addEventListener('toggle', function (ev) {
    if (ev.target.matches && ev.target.matches('details.popover') && ev.target.open) {
      place(ev.target);
      var f = ev.target.querySelector('.pop input:not([type="hidden"]), .pop textarea');
      if (f) { f.focus(); }
    }
  }, true);
  window.addEventListener('resize', placeAll);
  window.addEventListener('scroll', placeAll, true);

  document.addEventListener('DOMContentLoaded', function () {
    placeAll();
    document.querySelectorAll('[data-json]').forEach(checkJSON);
    document.querySelectorAll('[data-must-equal]').forEach(mustEqual);
  });
})();

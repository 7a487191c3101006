/*
 * Registers the service worker (/sw.js, written by the build: site/offline.py) so that the
 * emergency pages open without a network after one visit. Loaded on every page through
 * extra_javascript. Plain ES2017, no inline handlers (CSP script-src 'self').
 */
(function () {
  'use strict';

  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  // This file is <root>/assets/javascripts/offline.js: the worker lives at <root>/sw.js
  // and controls the whole site, wherever the site is mounted.
  const root = new URL('../../', document.currentScript.src);
  window.addEventListener('load', () => {
    navigator.serviceWorker.register(new URL('sw.js', root).href, { scope: root.pathname })
      .catch(() => { /* no offline copy this time: the site works as before */ });
  });
}());

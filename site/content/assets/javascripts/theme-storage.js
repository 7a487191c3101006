/*
 * Material for MkDocs' storage helpers, as its partials/javascripts/base.html defines
 * them inline (mkdocs-material 9.x), moved to a file so that the Content-Security-Policy
 * allows no inline script. The scope (the site root relative to this page) comes from
 * the script tag's data-md-scope (site/overrides/partials/javascripts/base.html).
 * Globals on purpose: Material's bundle reads them.
 */
/* eslint-disable no-underscore-dangle */
window.__md_scope = new URL(document.currentScript.dataset.mdScope || '.', location);
window.__md_hash = (e) => [...e].reduce((e, _) => (e << 5) - e + _.charCodeAt(0), 0);
window.__md_get = (e, _ = localStorage, t = window.__md_scope) => JSON.parse(_.getItem(t.pathname + '.' + e));
window.__md_set = (e, _, t = localStorage, a = window.__md_scope) => {
  try {
    t.setItem(a.pathname + '.' + e, JSON.stringify(_));
  } catch (err) {
    // storage full or disabled: Material works without it
  }
};

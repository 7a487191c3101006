/*
 * "My reports" (我的报修和投诉建议): the cases a resident chose to remember on this phone.
 * Loaded after forms.js on the pages that file or track cases. Plain ES2017, no inline
 * handlers (CSP script-src 'self').
 *
 * - Nothing is kept unless the resident presses "在这台手机上记住" (Butler.rememberChoice,
 *   the box of site/overrides/macros/remember.html on the success panels and the
 *   tracking page). An entry keeps the reference, the query code (token) and the filing
 *   time, in this browser's localStorage only (never sent anywhere), until the resident
 *   presses "忘记" or clears the browser's data.
 * - Butler.reports: the list (repairs R-... and complaints C-... together; the prefix tells
 *   the kind): list(), has(ref), remember(ref, token, created), forget(ref), and
 *   onChange(listener) so that a list on the page follows a remember or forget made
 *   elsewhere on it.
 */
(function (B) {
  'use strict';

  if (!B) return;
  const STORAGE_KEY = 'butler.repairs.v1'; // every kind, despite the name (kept: entries already saved)
  const MAX_STORED = 30;
  const listeners = [];

  function list() {
    try {
      const items = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || '[]');
      return Array.isArray(items) ? items.filter((x) => x && x.reference && x.token) : [];
    } catch (e) {
      return [];
    }
  }

  // false when the browser would not keep it (private mode, storage full or disabled).
  function save(items) {
    try {
      if (items.length) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(items.slice(0, MAX_STORED)));
      else window.localStorage.removeItem(STORAGE_KEY);
    } catch (e) {
      return false;
    }
    listeners.forEach((listener) => listener());
    return true;
  }

  const reports = Object.freeze({
    list: list,
    has: (ref) => list().some((x) => x.reference === ref),
    // Newest first; a case already remembered moves to the top with this token.
    remember(ref, token, created) {
      const kept = list().filter((x) => x.reference !== ref);
      kept.unshift({ reference: ref, token: token, created: created || new Date().toISOString() });
      return save(kept);
    },
    forget: (ref) => save(list().filter((x) => x.reference !== ref)),
    onChange: (listener) => { listeners.push(listener); },
  });

  /*
   * The "remember on this phone" box for one case: [data-remember] holding
   * [data-remember-off] / [data-remember-on] (what is true now), a [data-remember-button]
   * that remembers or forgets, and a [data-remember-status] line. Calling it again on the
   * same box shows another case.
   */
  function rememberChoice(box, item) {
    box.butlerCase = item;
    const button = box.querySelector('[data-remember-button]');
    const status = box.querySelector('[data-remember-status]');
    if (!box.dataset.wired) {
      box.dataset.wired = 'true';
      button.addEventListener('click', () => {
        const current = box.butlerCase;
        const remembered = reports.has(current.reference);
        const ok = remembered ? reports.forget(current.reference)
          : reports.remember(current.reference, current.token, current.created);
        status.textContent = !ok ? '这个浏览器不允许保存（可能是无痕模式），请自己记下编号和查询码。'
          : remembered ? '已从这台手机上忘记 ' + current.reference + '。记录本身还在，仍可用编号和查询码查询。'
            : '已记住。以后打开“查询进度”页，就能在“我的报修和投诉建议”里直接查看。';
        show();
      });
      reports.onChange(show);
    }
    status.textContent = '';
    show();
    box.hidden = false;

    function show() {
      const on = reports.has(box.butlerCase.reference);
      box.querySelector('[data-remember-on]').hidden = !on;
      box.querySelector('[data-remember-off]').hidden = on;
      button.textContent = on ? '从这台手机上忘记' : '在这台手机上记住';
    }
  }

  B.extend('reports', reports);
  B.extend('rememberChoice', rememberChoice);
}(window.Butler));

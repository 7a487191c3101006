/*
 * Short codes of phone reports (电话登记的短码) on the tracking page: when the resident types
 * a reference and the 8-character code a staff member read to them (7KQ4-M2XP: any letter
 * case, spaces or dashes, O/I/L for 0/1) into the 查询码 field, the code is exchanged once,
 * in a POST body, for the tracking token (POST /api/{repairs|complaints}/{ref}/phone-code);
 * the token then goes through the page's usual submit (track.js), as if typed. A long
 * token typed there is left to track.js untouched. Also fills the reference from a link
 * that carries only #ref=... (the SMS staff send), and puts the cursor on the code.
 * Loaded before track.js, so its submit listener runs first. Plain ES2017, no libraries.
 */
(function () {
  'use strict';

  const form = document.getElementById('track-form');
  if (!form || !window.Butler) return;
  const B = window.Butler;
  const CODE = /^[0-9A-HJKMNP-TV-Z]{8}$/;
  const APIS = { repair: '/api/repairs/', complaint: '/api/complaints/' };
  const refInput = document.getElementById('track-reference');
  const codeInput = document.getElementById('track-token');
  const codeError = document.getElementById('error-track-token');
  let busy = false;

  function normalizeCode(text) {
    return String(text || '').toUpperCase().replace(/[\s\-_－—–]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  }

  function showCodeError(message) {
    codeError.textContent = message;
    codeError.hidden = !message;
    if (message) {
      codeInput.setAttribute('aria-invalid', 'true');
      codeInput.focus();
    }
  }

  // The SMS link: #ref=R-... without a token. Read before track.js clears the fragment.
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  if (params.get('ref') && !params.get('token')) {
    refInput.value = params.get('ref').trim().toUpperCase();
    window.addEventListener('load', () => codeInput.focus());
  }

  form.addEventListener('submit', async (event) => {
    const code = normalizeCode(codeInput.value);
    const ref = String(refInput.value || '').trim().toUpperCase().replace(/\s/g, '');
    if (!ref || !CODE.test(code)) return; // a tracking token, or an empty field: track.js
    event.preventDefault();
    event.stopImmediatePropagation();
    if (busy) return;
    busy = true;
    showCodeError('');
    const { response, data } = await B.callApi(APIS[B.kindOf(ref)] + encodeURIComponent(ref) + '/phone-code', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ code: code }),
    });
    busy = false;
    if (response && response.ok && data && data.token) {
      refInput.value = data.reference;
      codeInput.value = data.token;
      if (form.requestSubmit) form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
      return;
    }
    const message = data && data.error && data.error.message;
    showCodeError(!response ? '网络连接失败，请检查网络后再试一次。'
      : (message || ('没有换到查询码（错误代码 ' + response.status + '），请稍后再试。')));
  });
}());

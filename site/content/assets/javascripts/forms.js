/*
 * Shared by the resident forms (repair-form.js: 报修, complaint-form.js: 投诉建议,
 * survey-form.js: 满意度调查) and the tracking page (track.js). Loaded before them on every
 * page; defines window.Butler only. Plain ES2017, no libraries, no inline handlers (CSP
 * script-src 'self').
 *
 * - Butler.jsonForm(form, options): a form that POSTs JSON to the API: client validation
 *   with Chinese messages next to the fields, the server's field messages (error.fields,
 *   keyed by body path such as "scores.reception") shown the same way, one Idempotency-Key
 *   per distinct content (the same key for retries, a new one when the content changes or
 *   after a success), and the result panel in place of the form on success.
 * - Butler.caseForm(form, options): a jsonForm that files a case; its result panel shows
 *   the reference, the private tracking link (#ref=...&token=..., the token only ever
 *   lives in the fragment) and the query code, and offers to remember the case on this
 *   phone (my-cases.js, when the page loads it: nothing is kept unless the resident asks).
 * - Length limits: a control's data-min-chars / data-max-chars (rendered from the API's
 *   schema, site/forms.py) count characters as the server does (code points of the
 *   trimmed text, Python's len), never UTF-16 units, and nothing is cut: a live counter
 *   ([data-count-for]) and a message say when text is too long. No maxlength, which
 *   truncates a paste silently.
 * - Scrolling: what the page brings into view (the success panel, an error, the first
 *   invalid field) stops below the sticky header and the "back to top" button
 *   (scroll-margin-top in butler.css; focus does not scroll by itself).
 * - Small helpers: Beijing time, a lenient phone check (the server normalises),
 *   fragment links. Butler.extend(name, value) lets the page's other
 *   modules (my-cases.js, unit-picker.js) add to window.Butler.
 */
(function () {
  'use strict';

  // What people write in a phone number: digits, spaces, + (country code), dashes, dots,
  // brackets. The server turns every common way of writing one into its normal form.
  const PHONE_CHARS = /^[0-9０-９+＋\s\-－—–.()（）]+$/;

  // ------------------------------------------------------------------ helpers

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      return window.crypto.randomUUID();
    }
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // variant 10
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' +
      h.slice(16, 20) + '-' + h.slice(20);
  }

  function chars(text) { return Array.from(text).length; }

  function localTime(iso) {
    // Asia/Shanghai is UTC+8 all year (no daylight saving since 1991).
    const t = Date.parse(iso || '');
    if (Number.isNaN(t)) return '';
    const d = new Date(t + 8 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return d.getUTCFullYear() + '-' + p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' +
      p(d.getUTCHours()) + ':' + p(d.getUTCMinutes());
  }

  // '' or what is wrong with a phone number as typed: only what no way of writing a
  // number allows (letters, too few digits); 139-0000-0077 and +86 139 0000 0077 pass.
  function phoneProblem(text) {
    if (!PHONE_CHARS.test(text)) return '电话号码里只能有数字、空格、“+”和“-”，例如 139 0000 0077 或 0571-88880000。';
    const digits = text.replace(/[^0-9０-９]/g, '').length;
    if (digits < 7) return '电话号码位数不够：请填写 11 位手机号，或带区号的固定电话（如 0571-88880000）。';
    return '';
  }

  // ------------------------------------------------------------------ length limits

  // A control's limits as the server counts (data-min-chars, data-max-chars): '' or why not.
  function lengthProblem(control) {
    const n = chars(String(control.value).trim());
    const max = Number(control.dataset.maxChars) || 0;
    const min = Number(control.dataset.minChars) || 0;
    if (max && n > max) return '最多 ' + max + ' 字，现在是 ' + n + ' 字：请删去 ' + (n - max) + ' 字后再提交。';
    if (min && n > 0 && n < min) return '至少写 ' + min + ' 个字，说清楚一点我们才好处理。';
    return '';
  }

  function tooLong(control) {
    const max = Number(control.dataset.maxChars) || 0;
    return Boolean(max) && chars(String(control.value).trim()) > max;
  }

  // The counter next to a limited control: "已写 640 / 500 字（超出 140 字）".
  function updateCount(control) {
    const counter = document.querySelector('[data-count-for="' + control.id + '"]');
    if (!counter) return;
    const n = chars(String(control.value).trim());
    const max = Number(control.dataset.maxChars) || 0;
    counter.textContent = '（已写 ' + n + (max ? ' / ' + max : '') + ' 字' +
      (max && n > max ? '，超出 ' + (n - max) + ' 字' : '') + '）';
    counter.classList.toggle('char-count--over', Boolean(max) && n > max);
  }

  // Every counted control under root: counters kept current as the resident types.
  function watchCounts(root) {
    const controls = Array.from(root.querySelectorAll('[data-max-chars]'));
    controls.forEach((control) => {
      updateCount(control);
      control.addEventListener('input', () => updateCount(control));
    });
    return () => controls.forEach(updateCount);
  }

  // Bring an element into view below the sticky header (scroll-margin-top) and focus it.
  function reveal(el) {
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'start' });
  }

  // The tracking page's private link: the token goes in the fragment, never the query.
  function trackingFragment(ref, token) {
    return '#ref=' + encodeURIComponent(ref) + '&token=' + encodeURIComponent(token);
  }

  // R-... repairs, C-... inquiries, complaints and suggestions.
  function kindOf(reference) {
    return String(reference || '').charAt(0).toUpperCase() === 'C' ? 'complaint' : 'repair';
  }

  // One request to the API: {response, data}, response null when the network failed,
  // data null when the body is not JSON. Never cached, same-origin credentials only.
  async function callApi(url, init) {
    let response = null;
    let data = null;
    try {
      response = await fetch(url, Object.assign({ cache: 'no-store', credentials: 'same-origin' }, init));
    } catch (e) {
      return { response: null, data: null };
    }
    try { data = await response.json(); } catch (e) { data = null; }
    return { response: response, data: data };
  }

  // ------------------------------------------------------------------ JSON forms

  /*
   * options:
   *   api          POST endpoint, e.g. '/api/surveys'
   *   fields       field names in page order (error placement, focus order, prefill); a
   *                field's control is #field-<name>, its message #error-<name>
   *   submit       the submit button
   *   result       the success panel, shown in place of the form
   *   noun         what is being sent, for messages: '答卷'
   *   duplicate    what a retry will not create twice: '两份答卷'
   *   validate()   → {field: message}
   *   payload()    → the JSON body
   *   accepted(data)   whether a 2xx body is the answer expected (else: "result uncertain")
   *   onSuccess(data)  fill the success panel
   *   onReset()        after "send another": update dependent parts, focus the first field
   */
  function jsonForm(form, options) {
    const $ = (id) => document.getElementById(id);
    const fields = options.fields;
    const submitButton = options.submit;
    const submitLabel = submitButton.textContent.trim();
    const formError = $('form-error');
    const result = options.result;
    let pending = { key: null, body: null }; // one key per distinct content
    let sending = false;

    form.noValidate = true; // our own Chinese messages instead of the browser's bubbles

    function radios(name) { return Array.from(form.querySelectorAll('input[name="' + name + '"]')); }

    function isRadio(name) {
      const list = radios(name);
      return list.length > 0 && list[0].type === 'radio';
    }

    function value(name) {
      if (isRadio(name)) {
        const checked = radios(name).find((r) => r.checked && !r.disabled);
        return checked ? checked.value : '';
      }
      const el = form.elements[name];
      return el && el.type !== 'file' ? String(el.value).trim() : '';
    }

    // The element that carries aria-invalid and receives focus for a field: the field's
    // control, or in a group (a fieldset such as the unit pickers) the part its own check
    // marked (data-problem), else the first one left empty.
    function control(name) {
      if (isRadio(name)) {
        const list = radios(name);
        return list.find((r) => r.checked) || list[0];
      }
      const el = $('field-' + name);
      if (el && el.tagName === 'FIELDSET') {
        const parts = Array.from(el.querySelectorAll('input, select, textarea'));
        return el.querySelector('[data-problem]') || parts.find((p) => !p.value && !p.disabled) || parts[0] || el;
      }
      return el;
    }

    // The field a control belongs to: its name, or its group's (data-field).
    function fieldOf(el) { return (el && (el.dataset.field || el.name)) || ''; }

    function isVisible(el) { return Boolean(el.offsetParent || el.getClientRects().length); }

    function hotlineLink() {
      const a = document.createElement('a');
      a.className = 'tel';
      a.href = 'tel:' + form.dataset.hotlineDial;
      a.textContent = form.dataset.hotlineDisplay;
      return a;
    }

    // ---------------------------------------------------------------- errors

    function setFieldError(name, message) {
      const err = $('error-' + name);
      if (!err) return false;
      err.textContent = message;
      err.hidden = false;
      const group = $('field-' + name);
      if (group) group.setAttribute('aria-invalid', 'true');
      radios(name).forEach((r) => r.setAttribute('aria-invalid', 'true'));
      const field = err.closest('.field');
      if (field) field.classList.add('field--invalid');
      return true;
    }

    function clearFieldError(name) {
      const err = $('error-' + name);
      if (err) { err.textContent = ''; err.hidden = true; }
      const group = $('field-' + name);
      if (group) group.removeAttribute('aria-invalid');
      radios(name).forEach((r) => r.removeAttribute('aria-invalid'));
      const field = err && err.closest('.field');
      if (field) field.classList.remove('field--invalid');
    }

    function showFormError(message, withHotline) {
      formError.textContent = '';
      const p = document.createElement('p');
      p.textContent = message;
      if (withHotline) {
        p.appendChild(document.createTextNode(' 着急的话请直接拨打服务热线 '));
        p.appendChild(hotlineLink());
        p.appendChild(document.createTextNode('。'));
      }
      formError.appendChild(p);
      formError.hidden = false;
    }

    function clearErrors() {
      fields.forEach(clearFieldError);
      formError.hidden = true;
      formError.textContent = '';
    }

    // Show {field: message} errors; focus the first invalid field on the page.
    function showErrors(errors, message) {
      const unplaced = [];
      Object.keys(errors).forEach((name) => {
        if (!setFieldError(name, errors[name])) unplaced.push(errors[name]);
      });
      showFormError([message].concat(unplaced).filter(Boolean).join(' '), false);
      const first = fields.find((name) => errors[name] && control(name) && isVisible(control(name)));
      reveal(first ? control(first) : formError);
    }

    // Limits the page declares (data-min-chars, data-max-chars) for fields the form's own
    // checks left alone.
    function lengthErrors(errors) {
      fields.forEach((name) => {
        const el = $('field-' + name);
        if (errors[name] || !el || !el.dataset || !isVisible(el)) return;
        const problem = lengthProblem(el);
        if (problem) errors[name] = problem;
      });
      return errors;
    }

    // ---------------------------------------------------------------- prefill

    // ?kind=suggestion&topic=greening or #...: fills fields by name (not files).
    function prefill() {
      const params = new URLSearchParams(window.location.search);
      const hash = window.location.hash.replace(/^#/, '');
      if (hash.indexOf('=') >= 0) {
        new URLSearchParams(hash).forEach((v, k) => params.set(k, v));
      }
      fields.forEach((name) => {
        if (!params.has(name)) return;
        const v = params.get(name);
        const el = form.elements[name];
        if (isRadio(name)) {
          radios(name).forEach((r) => { if (r.value === v) r.checked = true; });
        } else if (el && el.tagName === 'SELECT') {
          if (Array.from(el.options).some((o) => o.value === v)) el.value = v;
        } else if (el && el.type !== 'file') {
          el.value = v;
        }
      });
    }

    // ---------------------------------------------------------------- submit

    function setSending(on) {
      sending = on;
      submitButton.disabled = on;
      submitButton.textContent = on ? '正在提交…' : submitLabel;
      if (on) {
        submitButton.setAttribute('aria-busy', 'true');
        form.setAttribute('aria-busy', 'true');
      } else {
        submitButton.removeAttribute('aria-busy');
        form.removeAttribute('aria-busy');
      }
    }

    function showSuccess(data) {
      pending = { key: null, body: null };
      if (options.onSuccess) options.onSuccess(data);
      form.hidden = true;
      result.hidden = false;
      reveal(result);
    }

    async function submit(event) {
      event.preventDefault();
      if (sending) return;
      clearErrors();
      const errors = lengthErrors(options.validate());
      if (Object.keys(errors).length) {
        showErrors(errors, '还有几项需要补充或修改，请看标红的地方。');
        return;
      }
      const body = JSON.stringify(options.payload());
      if (!pending.key || pending.body !== body) pending = { key: newKey(), body: body };

      setSending(true);
      const { response, data } = await callApi(options.api, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': pending.key },
        body: body,
      });
      setSending(false);
      if (!response) {
        showFormError('网络连接失败，' + options.noun + '可能还没有送达。请检查网络后直接再点一次“' +
          submitLabel + '”：内容不变时重复提交是安全的，不会生成' + options.duplicate + '。', true);
        reveal(formError);
        return;
      }

      if (response.ok && data && options.accepted(data)) {
        showSuccess(data);
        return;
      }
      if (response.ok) {
        showFormError('提交结果不确定。请再点一次“' + submitLabel + '”：重复提交是安全的，不会生成' +
          options.duplicate + '。', true);
        reveal(formError);
        return;
      }
      const error = (data && data.error) || {};
      const errorFields = (error.fields && typeof error.fields === 'object') ? error.fields : {};
      const message = error.message || ('提交没有成功（错误代码 ' + response.status + '），请稍后再试。');
      if (Object.keys(errorFields).length) {
        showErrors(errorFields, message);
      } else {
        showFormError(message, response.status >= 500 || response.status === 429);
        reveal(formError);
      }
    }

    function reset() {
      form.reset();
      pending = { key: null, body: null };
      clearErrors();
      refreshCounts();
      result.hidden = true;
      form.hidden = false;
      if (options.onReset) options.onReset();
    }

    // A field's message goes away as soon as the resident changes that field, except that
    // text over its limit says so at once (a long paste is never cut silently).
    function clearOnEdit(event) {
      const name = fieldOf(event.target);
      if (!name || fields.indexOf(name) < 0) return;
      clearFieldError(name);
      if (event.target.dataset && tooLong(event.target)) setFieldError(name, lengthProblem(event.target));
    }

    const refreshCounts = watchCounts(form);

    form.addEventListener('input', clearOnEdit);
    form.addEventListener('change', clearOnEdit);
    form.addEventListener('submit', submit);

    return {
      value: value,
      radios: radios,
      refreshCounts: refreshCounts,
      setFieldError: setFieldError,
      clearFieldError: clearFieldError,
      showErrors: showErrors,
      prefill: prefill,
      reset: reset,
    };
  }

  // ------------------------------------------------------------------ case forms

  /*
   * A jsonForm that files a case (options as jsonForm's, without accepted): the answer
   * carries a reference and a token; the success panel holds #result-reference,
   * #result-token and #tracking-link, and offers to remember the case on this phone.
   */
  function caseForm(form, options) {
    const $ = (id) => document.getElementById(id);
    return jsonForm(form, Object.assign({}, options, {
      accepted: (data) => Boolean(data.reference && data.token),
      onSuccess: (data) => {
        const box = options.result.querySelector('[data-remember]');
        if (box && window.Butler.rememberChoice) {
          window.Butler.rememberChoice(box, { reference: data.reference, token: data.token, created: data.created_at });
        }
        $('result-reference').textContent = data.reference;
        $('result-token').textContent = data.token;
        const link = $('tracking-link');
        const base = (link.getAttribute('href') || '../track/').split('#')[0];
        link.setAttribute('href', base + trackingFragment(data.reference, data.token));
        if (options.onSuccess) options.onSuccess(data);
      },
    }));
  }

  const Butler = {};

  // Add a read-only member to window.Butler (the page's other modules); never replace one.
  function extend(name, value) {
    if (Object.prototype.hasOwnProperty.call(Butler, name)) throw new Error('Butler.' + name + ' exists');
    Object.defineProperty(Butler, name, { value: value, enumerable: true });
  }

  Object.entries({
    newKey: newKey,
    chars: chars,
    localTime: localTime,
    phoneProblem: phoneProblem,
    lengthProblem: lengthProblem,
    tooLong: tooLong,
    updateCount: updateCount,
    watchCounts: watchCounts,
    reveal: reveal,
    trackingFragment: trackingFragment,
    kindOf: kindOf,
    callApi: callApi,
    jsonForm: jsonForm,
    caseForm: caseForm,
    enhance: enhance,
    extend: extend,
  }).forEach(([name, value]) => extend(name, value));
  window.Butler = Butler;

  // Run ``setup(form, Butler)`` for the form with this id, if the page has one.
  function enhance(formId, setup) {
    const form = document.getElementById(formId);
    if (form) setup(form, window.Butler);
  }
}());

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
 *   lives in the fragment) and the query code.
 * - Butler.reports: "my reports" on this device (localStorage), repairs (R-...) and
 *   complaints (C-...) in one list; the reference's prefix tells the kind.
 * - Small helpers: Beijing time, phone and unit normalisation, fragment links.
 */
(function () {
  'use strict';

  const STORAGE_KEY = 'butler.repairs.v1'; // "my reports": every kind, despite the name
  const MAX_STORED = 30;
  const MOBILE = /^1[3-9]\d{9}$/;
  const LANDLINE = /^0\d{2,3}-?\d{7,8}$/;
  const UNIT = /^[0-9A-Za-z]{1,4}-[0-9A-Za-z]{1,3}-[0-9A-Za-z]{2,6}$/; // as the API's schema

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

  function normalizeUnit(text) {
    return text.replace(/\s+/g, '').replace(/[－—–_/]/g, '-');
  }

  function normalizePhone(text) {
    return text.replace(/[\s()（）]/g, '').replace(/^\+?86(?=1[3-9]\d{9}$)/, '').replace(/－/g, '-');
  }

  function validPhone(phone) { return MOBILE.test(phone) || LANDLINE.test(phone); }

  function validUnit(unit) { return UNIT.test(unit); }

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

  // ------------------------------------------------------------------ my reports

  const reports = {
    list() {
      try {
        const list = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || '[]');
        return Array.isArray(list) ? list.filter((x) => x && x.reference && x.token) : [];
      } catch (e) {
        return [];
      }
    },
    save(list) {
      try {
        window.localStorage.setItem(STORAGE_KEY, JSON.stringify(list.slice(0, MAX_STORED)));
      } catch (e) {
        // Private mode or storage full: the tracking link still works.
      }
    },
    // Newest first; true when the list changed.
    remember(ref, token, created) {
      const list = reports.list();
      const existing = list.find((x) => x.reference === ref);
      if (existing) {
        if (existing.token === token) return false;
        existing.token = token;
      } else {
        list.unshift({ reference: ref, token: token, created: created || new Date().toISOString() });
      }
      reports.save(list);
      return true;
    },
    // A new filing goes to the top even when the reference was already known.
    add(ref, token, created) {
      const kept = reports.list().filter((x) => x.reference !== ref);
      kept.unshift({ reference: ref, token: token, created: created || new Date().toISOString() });
      reports.save(kept);
    },
    forget(ref) {
      reports.save(reports.list().filter((x) => x.reference !== ref));
    },
  };

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

    // The element that carries aria-invalid and receives focus for a field.
    function control(name) {
      if (isRadio(name)) {
        const list = radios(name);
        return list.find((r) => r.checked) || list[0];
      }
      return $('field-' + name);
    }

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
      if (first) {
        control(first).focus();
      } else {
        formError.focus();
      }
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
      result.focus();
      result.scrollIntoView({ block: 'start' });
    }

    async function submit(event) {
      event.preventDefault();
      if (sending) return;
      clearErrors();
      const errors = options.validate();
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
        formError.focus();
        return;
      }

      if (response.ok && data && options.accepted(data)) {
        showSuccess(data);
        return;
      }
      if (response.ok) {
        showFormError('提交结果不确定。请再点一次“' + submitLabel + '”：重复提交是安全的，不会生成' +
          options.duplicate + '。', true);
        formError.focus();
        return;
      }
      const error = (data && data.error) || {};
      const errorFields = (error.fields && typeof error.fields === 'object') ? error.fields : {};
      const message = error.message || ('提交没有成功（错误代码 ' + response.status + '），请稍后再试。');
      if (Object.keys(errorFields).length) {
        showErrors(errorFields, message);
      } else {
        showFormError(message, response.status >= 500 || response.status === 429);
        formError.focus();
      }
    }

    function reset() {
      form.reset();
      pending = { key: null, body: null };
      clearErrors();
      result.hidden = true;
      form.hidden = false;
      if (options.onReset) options.onReset();
    }

    // A field's message goes away as soon as the resident changes that field.
    function clearOnEdit(event) {
      const name = event.target && event.target.name;
      if (name && fields.indexOf(name) >= 0) clearFieldError(name);
    }

    form.addEventListener('input', clearOnEdit);
    form.addEventListener('change', clearOnEdit);
    form.addEventListener('submit', submit);

    return {
      value: value,
      radios: radios,
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
   * #result-token and #tracking-link, and the case joins "my reports".
   */
  function caseForm(form, options) {
    const $ = (id) => document.getElementById(id);
    return jsonForm(form, Object.assign({}, options, {
      accepted: (data) => Boolean(data.reference && data.token),
      onSuccess: (data) => {
        reports.add(data.reference, data.token, data.created_at);
        $('result-reference').textContent = data.reference;
        $('result-token').textContent = data.token;
        const link = $('tracking-link');
        const base = (link.getAttribute('href') || '../track/').split('#')[0];
        link.setAttribute('href', base + trackingFragment(data.reference, data.token));
        if (options.onSuccess) options.onSuccess(data);
      },
    }));
  }

  window.Butler = Object.freeze({
    newKey: newKey,
    chars: chars,
    localTime: localTime,
    normalizeUnit: normalizeUnit,
    normalizePhone: normalizePhone,
    validPhone: validPhone,
    validUnit: validUnit,
    trackingFragment: trackingFragment,
    kindOf: kindOf,
    callApi: callApi,
    reports: Object.freeze(reports),
    jsonForm: jsonForm,
    caseForm: caseForm,
    enhance: enhance,
  });

  // Run ``setup(form, Butler)`` for the form with this id, if the page has one.
  function enhance(formId, setup) {
    const form = document.getElementById(formId);
    if (form) setup(form, window.Butler);
  }
}());

/*
 * Online repair report (报修) form: progressive enhancement over the static form in
 * repairs/index.md. Plain ES2017, no libraries, no inline handlers (CSP script-src 'self').
 *
 * - Prefills fields from the query string or the fragment (?location_type=public&location=...).
 * - Shows the "call now" box first when an emergency category is chosen.
 * - Validates on the client, but always shows the server's field messages too.
 * - Sends one Idempotency-Key per form fill: the same key for retries of the same
 *   content, a new key when the content changes or after a success.
 * - On success stores {reference, token, created} on this device (see track.js) and
 *   links to ../track/#ref=...&token=... (the token only ever lives in the fragment).
 */
(function () {
  'use strict';

  const form = document.getElementById('repair-form');
  if (!form) return;

  const API = '/api/repairs';
  const STORAGE_KEY = 'butler.repairs.v1';
  const MAX_STORED = 30;
  const FIELDS = ['category', 'urgency', 'location_type', 'unit', 'location', 'description',
    'contact_name', 'contact_phone', 'preferred_time'];
  const OPTIONAL = ['location', 'preferred_time'];
  const MOBILE = /^1[3-9]\d{9}$/;
  const LANDLINE = /^0\d{2,3}-?\d{7,8}$/;
  const UNIT = /^[0-9A-Za-z]{1,4}-[0-9A-Za-z]{1,3}-[0-9A-Za-z]{2,6}$/; // as RepairReportIn

  const $ = (id) => document.getElementById(id);
  const submitButton = $('submit-repair');
  const submitLabel = submitButton.textContent;
  const formError = $('form-error');
  const category = $('field-category');
  const callNow = $('call-now');
  const result = $('repair-result');
  const categoryHint = $('hint-category');
  const categoryHintDefault = categoryHint.textContent;

  // Idempotency: one key per distinct content, reset after success.
  let pending = { key: null, body: null };
  let sending = false;

  form.noValidate = true; // our own Chinese messages instead of the browser's bubbles

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

  function radios(name) { return Array.from(form.querySelectorAll('input[name="' + name + '"]')); }

  function value(name) {
    const list = radios(name);
    if (list.length && list[0].type === 'radio') {
      const checked = list.find((r) => r.checked && !r.disabled);
      return checked ? checked.value : '';
    }
    const el = form.elements[name];
    return el ? String(el.value).trim() : '';
  }

  function selectedOption() { return category.options[category.selectedIndex] || null; }

  function isEmergency() {
    const opt = selectedOption();
    return Boolean(opt && opt.dataset.emergency === 'true');
  }

  // The element that carries aria-invalid and receives focus for a field.
  function control(name) {
    const list = radios(name);
    if (list.length && list[0].type === 'radio') {
      return list.find((r) => r.checked) || list[0];
    }
    return $('field-' + name);
  }

  function hotlineLink() {
    const a = document.createElement('a');
    a.className = 'tel';
    a.href = 'tel:' + form.dataset.hotlineDial;
    a.textContent = form.dataset.hotlineDisplay;
    return a;
  }

  function localTime(iso) {
    // Asia/Shanghai is UTC+8 all year (no daylight saving since 1991).
    const t = Date.parse(iso);
    if (Number.isNaN(t)) return '';
    const d = new Date(t + 8 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return d.getUTCFullYear() + '-' + p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' +
      p(d.getUTCHours()) + ':' + p(d.getUTCMinutes());
  }

  // ------------------------------------------------------------------ errors

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
    FIELDS.forEach(clearFieldError);
    formError.hidden = true;
    formError.textContent = '';
  }

  // Show {field: message} errors; focus the first invalid field on the page.
  function showErrors(fields, message) {
    const unplaced = [];
    Object.keys(fields).forEach((name) => {
      if (!setFieldError(name, fields[name])) unplaced.push(fields[name]);
    });
    showFormError([message].concat(unplaced).filter(Boolean).join(' '), false);
    const first = FIELDS.find((name) => fields[name] && control(name) && isVisible(control(name)));
    if (first) {
      control(first).focus();
    } else {
      formError.focus();
    }
  }

  function isVisible(el) { return Boolean(el.offsetParent || el.getClientRects().length); }

  // ------------------------------------------------------------------ validation

  function validate() {
    const errors = {};
    const emergency = isEmergency();
    if (!value('category')) errors.category = '请选择报修类别。';
    if (!emergency && !value('urgency')) errors.urgency = '请选择紧急程度。';
    const where = value('location_type');
    if (!where) errors.location_type = '请选择是家里还是公共区域。';
    if (where === 'home') {
      const unit = normalizeUnit(value('unit'));
      if (!unit) errors.unit = '请填写房号，例如 3-2-1201。';
      else if (!UNIT.test(unit)) errors.unit = '房号请按“楼号-单元-房号”填写，例如 3-2-1201。';
    }
    if (where === 'public' && !value('location')) {
      errors.location = '请写明具体地点，例如 3 号楼电梯。';
    }
    const description = value('description');
    if (!description) errors.description = '请简单描述一下问题。';
    else if (chars(description) < 5) errors.description = '问题描述至少 5 个字，说清楚一点我们才好安排。';
    else if (chars(description) > 500) errors.description = '问题描述最多 500 字。';
    if (!value('contact_name')) errors.contact_name = '请填写联系人，例如 王女士。';
    const phone = normalizePhone(value('contact_phone'));
    if (!phone) errors.contact_phone = '请填写联系电话。';
    else if (!MOBILE.test(phone) && !LANDLINE.test(phone)) {
      errors.contact_phone = '电话号码格式不对：请填写 11 位手机号，或带区号的固定电话（如 0571-88880000）。';
    }
    return errors;
  }

  function normalizeUnit(text) {
    return text.replace(/\s+/g, '').replace(/[－—–_/]/g, '-');
  }

  function normalizePhone(text) {
    return text.replace(/[\s()（）]/g, '').replace(/^\+?86(?=1[3-9]\d{9}$)/, '').replace(/－/g, '-');
  }

  function payload() {
    const body = { category: value('category') };
    if (!isEmergency()) body.urgency = value('urgency');
    body.location_type = value('location_type');
    if (body.location_type === 'home') body.unit = normalizeUnit(value('unit'));
    ['location', 'description', 'contact_name'].forEach((name) => {
      const v = value(name);
      if (v || OPTIONAL.indexOf(name) < 0) body[name] = v;
    });
    body.contact_phone = normalizePhone(value('contact_phone'));
    const when = value('preferred_time');
    if (when) body.preferred_time = when;
    return body;
  }

  // ------------------------------------------------------------------ dynamic form

  function updateCategory() {
    const opt = selectedOption();
    const emergency = isEmergency();
    categoryHint.textContent = (opt && opt.value && opt.dataset.hint)
      ? '包括：' + opt.dataset.hint + '。' : categoryHintDefault;
    callNow.hidden = !emergency;
    Array.from(callNow.querySelectorAll('.call-now__case')).forEach((box) => {
      box.hidden = !(emergency && box.dataset.category === opt.value);
    });
    const urgency = $('field-urgency');
    urgency.classList.toggle('field--disabled', emergency);
    radios('urgency').forEach((r) => { r.disabled = emergency; });
    urgency.querySelector('.choices').hidden = emergency;
    $('hint-urgency').hidden = emergency;
    $('urgency-emergency-note').hidden = !emergency;
    if (emergency) clearFieldError('urgency');
  }

  function updateLocation() {
    const where = value('location_type');
    const home = where !== 'public';
    $('unit-field').hidden = !home;
    $('field-unit').required = home;
    $('field-location').required = !home;
    $('location-label-home').hidden = !home;
    $('location-label-public').hidden = home;
    $('location-hint-home').hidden = !home;
    $('location-hint-public').hidden = home;
    if (!home) clearFieldError('unit');
  }

  function updateCount() {
    const n = chars($('field-description').value.trim());
    $('description-count').textContent = '（已写 ' + n + ' 字）';
  }

  function prefill() {
    const params = new URLSearchParams(window.location.search);
    const hash = window.location.hash.replace(/^#/, '');
    if (hash.indexOf('=') >= 0) {
      new URLSearchParams(hash).forEach((v, k) => params.set(k, v));
    }
    FIELDS.forEach((name) => {
      if (!params.has(name)) return;
      const v = params.get(name);
      const list = radios(name);
      if (list.length && list[0].type === 'radio') {
        list.forEach((r) => { if (r.value === v) r.checked = true; });
      } else if (name === 'category') {
        if (Array.from(category.options).some((o) => o.value === v)) category.value = v;
      } else if (form.elements[name]) {
        form.elements[name].value = v;
      }
    });
  }

  // ------------------------------------------------------------------ storage

  function remember(body) {
    try {
      const list = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || '[]');
      const kept = (Array.isArray(list) ? list : []).filter((x) => x && x.reference !== body.reference);
      kept.unshift({ reference: body.reference, token: body.token, created: body.created_at || new Date().toISOString() });
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(kept.slice(0, MAX_STORED)));
    } catch (e) {
      // Private mode or storage full: the tracking link still works.
    }
  }

  // ------------------------------------------------------------------ submit

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

  // ------------------------------------------------------------------ photos

  const photoInput = $('field-photos');
  const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
  const MAX_PHOTOS = 4;
  const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
  const MAX_SIDE = 1600;

  function chosenPhotos() { return photoInput ? Array.from(photoInput.files || []) : []; }

  function photoError() {
    const files = chosenPhotos();
    if (files.length > MAX_PHOTOS) return '最多选 ' + MAX_PHOTOS + ' 张照片。';
    if (files.some((f) => !PHOTO_TYPES.includes(f.type))) return '只能上传 JPG、PNG 或 WebP 格式的照片。';
    return '';
  }

  // Phones take large photos: shrink to at most 1600 px on the long side as JPEG.
  async function shrink(file) {
    if (file.size <= MAX_PHOTO_BYTES / 2 || typeof createImageBitmap !== 'function') return file;
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return blob || file;
  }

  async function uploadPhotos(reference, token, files) {
    const status = $('result-photos');
    if (!files.length) return;
    status.hidden = false;
    let done = 0;
    for (const original of files) {
      status.textContent = '正在上传照片 ' + (done + 1) + '/' + files.length + '…';
      try {
        const file = await shrink(original);
        if (file.size > MAX_PHOTO_BYTES) throw new Error('too large');
        const ask = await fetch(API + '/' + encodeURIComponent(reference) + '/photos', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
          body: JSON.stringify({ content_type: file.type || 'image/jpeg', size: file.size }),
          credentials: 'same-origin',
        });
        if (!ask.ok) throw new Error('refused');
        const upload = await ask.json();
        const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: file });
        if (!put.ok) throw new Error('upload failed');
        done += 1;
      } catch (e) {
        // The report itself is saved; say which photo did not make it.
      }
    }
    status.textContent = done === files.length
      ? '照片已上传（' + done + ' 张）。'
      : '报修已提交，但有 ' + (files.length - done) + ' 张照片没有上传成功；师傅上门时可以现场拍照。';
  }

  function showSuccess(body) {
    pending = { key: null, body: null };
    remember(body);
    $('result-reference').textContent = body.reference;
    $('result-token').textContent = body.token;
    const link = $('tracking-link');
    const base = (link.getAttribute('href') || '../track/').split('#')[0];
    link.setAttribute('href', base + '#ref=' + encodeURIComponent(body.reference) +
      '&token=' + encodeURIComponent(body.token));
    const respond = $('result-respond-by');
    const when = body.respond_by ? localTime(body.respond_by) : '';
    respond.textContent = when ? '我们会在 ' + when + '（北京时间）之前与您联系或到场处理。' : '';
    respond.hidden = !when;
    $('result-emergency').hidden = !body.emergency;
    form.hidden = true;
    callNow.hidden = true;
    result.hidden = false;
    result.focus();
    result.scrollIntoView({ block: 'start' });
  }

  async function submit(event) {
    event.preventDefault();
    if (sending) return;
    clearErrors();
    const errors = validate();
    const photos = photoError();
    if (photos) errors.photos = photos;
    if (Object.keys(errors).length) {
      showErrors(errors, '还有几项需要补充或修改，请看标红的地方。');
      return;
    }
    const body = JSON.stringify(payload());
    if (!pending.key || pending.body !== body) pending = { key: newKey(), body: body };

    setSending(true);
    let response;
    try {
      response = await fetch(API, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': pending.key },
        body: body,
        credentials: 'same-origin',
      });
    } catch (e) {
      setSending(false);
      showFormError('网络连接失败，报修可能还没有送达。请检查网络后直接再点一次“提交报修”：' +
        '内容不变时重复提交是安全的，不会生成两张报修单。', true);
      formError.focus();
      return;
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    setSending(false);

    if (response.ok && data && data.reference && data.token) {
      const files = chosenPhotos();
      showSuccess(data);
      uploadPhotos(data.reference, data.token, files);
      return;
    }
    if (response.ok) {
      showFormError('提交结果不确定。请再点一次“提交报修”：重复提交是安全的，不会生成两张报修单。', true);
      formError.focus();
      return;
    }
    const error = (data && data.error) || {};
    const fields = (error.fields && typeof error.fields === 'object') ? error.fields : {};
    const message = error.message || ('提交没有成功（错误代码 ' + response.status + '），请稍后再试。');
    if (Object.keys(fields).length) {
      showErrors(fields, message);
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
    updateCategory();
    updateLocation();
    updateCount();
    category.focus();
  }

  // ------------------------------------------------------------------ wiring

  prefill();
  updateCategory();
  updateLocation();
  updateCount();

  category.addEventListener('change', () => {
    clearFieldError('category');
    updateCategory();
    if (isEmergency()) callNow.scrollIntoView({ block: 'nearest' });
  });
  radios('location_type').forEach((r) => r.addEventListener('change', () => {
    clearFieldError('location_type');
    clearFieldError('location');
    updateLocation();
  }));
  radios('urgency').forEach((r) => r.addEventListener('change', () => clearFieldError('urgency')));
  ['unit', 'location', 'description', 'contact_name', 'contact_phone', 'preferred_time'].forEach((name) => {
    $('field-' + name).addEventListener('input', () => clearFieldError(name));
  });
  $('field-description').addEventListener('input', updateCount);
  form.addEventListener('submit', submit);
  $('repair-again').addEventListener('click', reset);
}());

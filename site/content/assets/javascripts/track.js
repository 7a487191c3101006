/*
 * Repair progress (查询进度): reads #ref=...&token=... from the URL fragment (never the
 * query string, so the token does not reach any server log), asks the API with the
 * token in the Authorization header only, and renders status, details and timeline.
 * Keeps a list of {reference, token, created} in localStorage ("我的报修") so a
 * resident can reopen their reports on the same phone. Plain ES2017, no libraries.
 *
 * Also shows the step records residents may read ("details": labels come from the
 * workflow, rendered into #track-record's data-step-fields at build time) and, when the
 * API lists them in "resident_actions", the rating form ("rate") and the "还没修好？"
 * form ("report_not_fixed"). Both POST JSON with the same Bearer header and answer with
 * the full updated view, which is rendered again.
 */
(function () {
  'use strict';

  const form = document.getElementById('track-form');
  if (!form) return;

  const API = '/api/repairs/';
  const STORAGE_KEY = 'butler.repairs.v1'; // shared with repair-form.js
  const MAX_STORED = 30;
  const NOT_FOUND = '没有找到这条报修：请核对编号和查询码。';

  const $ = (id) => document.getElementById(id);
  const result = $('track-result');
  const errorBox = $('track-error');
  const loading = $('track-loading');
  const refInput = $('track-reference');
  const tokenInput = $('track-token');
  let current = null; // {ref, token} on screen
  let busy = false;
  let posting = false;

  const recordSection = $('track-record-section');
  const recordList = $('track-record');
  const actionsBox = $('resident-actions');
  const actionError = $('action-error');
  const actionDone = $('action-done');
  const rateForm = $('rate-form');
  const notFixedBox = $('not-fixed');
  const notFixedForm = $('not-fixed-form');
  const notFixedToggle = $('not-fixed-toggle');
  const notFixedReason = $('not-fixed-reason');
  const ratingComment = $('rating-comment');
  let stepFields = [];
  try {
    stepFields = JSON.parse(recordList.dataset.stepFields || '[]');
  } catch (e) {
    stepFields = [];
  }

  form.noValidate = true;

  // ------------------------------------------------------------------ helpers

  function localTime(iso) {
    // Asia/Shanghai is UTC+8 all year (no daylight saving since 1991).
    const t = Date.parse(iso || '');
    if (Number.isNaN(t)) return '';
    const d = new Date(t + 8 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return d.getUTCFullYear() + '-' + p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' +
      p(d.getUTCHours()) + ':' + p(d.getUTCMinutes());
  }

  // What a resident types: spaces, lower case, dashes anywhere, O/I/L for 0/1.
  function normalizeReference(text) {
    const cleaned = String(text || '').trim().toUpperCase().replace(/[\s\-_－—–]/g, '');
    if (cleaned.length !== 9) return String(text || '').trim().toUpperCase();
    const body = cleaned.slice(1).replace(/O/g, '0').replace(/[IL]/g, '1');
    return cleaned[0] + '-' + body.slice(0, 4) + '-' + body.slice(4);
  }

  function fragment() {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    return { ref: normalizeReference(params.get('ref') || ''), token: (params.get('token') || '').trim() };
  }

  function fragmentFor(ref, token) {
    return '#ref=' + encodeURIComponent(ref) + '&token=' + encodeURIComponent(token);
  }

  function setText(id, text) { $(id).textContent = text || '—'; }

  // ------------------------------------------------------------------ device list

  function stored() {
    try {
      const list = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || '[]');
      return Array.isArray(list) ? list.filter((x) => x && x.reference && x.token) : [];
    } catch (e) {
      return [];
    }
  }

  function save(list) {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(list.slice(0, MAX_STORED)));
    } catch (e) {
      // Private mode or storage full: nothing to keep, the page still works.
    }
  }

  function remember(ref, token, created) {
    const list = stored();
    const existing = list.find((x) => x.reference === ref);
    if (existing) {
      if (existing.token === token) return;
      existing.token = token;
    } else {
      list.unshift({ reference: ref, token: token, created: created || new Date().toISOString() });
    }
    save(list);
    renderList();
  }

  function forget(ref) {
    save(stored().filter((x) => x.reference !== ref));
    renderList();
    $('my-repairs-status').textContent = '已从本机移除 ' + ref + '。报修本身不受影响，仍可用编号和查询码查询。';
  }

  function renderList() {
    const list = stored();
    const ul = $('my-repairs-list');
    ul.textContent = '';
    list.forEach((item) => {
      const li = document.createElement('li');
      li.className = 'my-repairs__item';
      const a = document.createElement('a');
      a.className = 'my-repairs__link';
      a.href = fragmentFor(item.reference, item.token);
      a.textContent = item.reference;
      a.addEventListener('click', () => {
        // Same fragment as now: hashchange will not fire, so reload it ourselves.
        if (window.location.hash === a.hash) show(item.reference, item.token);
      });
      const when = document.createElement('span');
      when.className = 'my-repairs__when';
      const t = localTime(item.created);
      when.textContent = t ? '提交于 ' + t : '';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'md-button my-repairs__forget';
      button.textContent = '忘记';
      button.setAttribute('aria-label', '从本机忘记 ' + item.reference);
      button.addEventListener('click', () => forget(item.reference));
      li.append(a, when, button);
      ul.appendChild(li);
    });
    $('my-repairs').hidden = list.length === 0;
  }

  // ------------------------------------------------------------------ fetching

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    errorBox.focus();
  }

  // ------------------------------------------------------------------ step records

  function ratingText(value) {
    const input = $('rating-' + value);
    const word = input ? input.dataset.word : '';
    return value + ' 分' + (word ? '（' + word + '）' : '');
  }

  function renderRecord(details) {
    recordList.textContent = '';
    let shown = 0;
    const values = details && typeof details === 'object' ? details : {};
    stepFields.forEach((field) => {
      if (!Object.prototype.hasOwnProperty.call(values, field.name)) return;
      const value = values[field.name];
      if (value === null || value === undefined || value === '') return;
      const dt = document.createElement('dt');
      dt.textContent = field.label;
      const dd = document.createElement('dd');
      dd.dataset.field = field.name;
      dd.textContent = field.kind === 'rating' ? ratingText(value) : String(value);
      recordList.append(dt, dd);
      shown += 1;
    });
    recordSection.hidden = shown === 0;
  }

  // ------------------------------------------------------------------ resident actions

  function renderActions(data) {
    const actions = Array.isArray(data.resident_actions) ? data.resident_actions : [];
    const canRate = actions.indexOf('rate') !== -1;
    const canReport = actions.indexOf('report_not_fixed') !== -1;
    rateForm.hidden = !canRate;
    notFixedBox.hidden = !canReport;
    if (!canReport) openNotFixed(false);
    actionsBox.hidden = !(canRate || canReport);
  }

  function openNotFixed(open) {
    notFixedForm.hidden = !open;
    notFixedToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  function actionFieldError(id, message) {
    const err = $('error-' + id);
    err.textContent = message || '';
    err.hidden = !message;
    const input = $(id === 'rating' ? 'field-rating' : id);
    const wrapper = input.closest('.field');
    if (wrapper) wrapper.classList.toggle('field--invalid', Boolean(message));
    if (input.tagName !== 'FIELDSET') {
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }

  function clearActionMessages() {
    actionError.hidden = true;
    actionError.textContent = '';
    actionDone.hidden = true;
    actionDone.textContent = '';
    ['rating', 'rating-comment', 'not-fixed-reason'].forEach((id) => actionFieldError(id, ''));
  }

  function resetActions() {
    clearActionMessages();
    rateForm.reset();
    notFixedForm.reset();
    openNotFixed(false);
  }

  function showActionError(message) {
    actionError.textContent = message;
    actionError.hidden = false;
    actionError.focus();
  }

  // The API's field names → the ids of the inputs they belong to.
  const RATE_FIELDS = { rating: 'rating', comment: 'rating-comment' };
  const NOT_FIXED_FIELDS = { reason: 'not-fixed-reason' };

  async function postAction(path, body, button, fieldIds, doneMessage) {
    if (posting || !current) return;
    posting = true;
    button.disabled = true;
    clearActionMessages();
    const ref = current.ref;
    const token = current.token;
    let response = null;
    let data = null;
    try {
      response = await fetch(API + encodeURIComponent(ref) + path, {
        method: 'POST',
        headers: {
          Authorization: 'Bearer ' + token,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body: JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
      try { data = await response.json(); } catch (e) { data = null; }
    } catch (e) {
      response = null;
    }
    posting = false;
    button.disabled = false;

    if (!response) {
      showActionError('网络连接失败，请检查网络后再提交一次。');
      return;
    }
    if (response.ok && data && data.reference) {
      render(data);
      resetActions();
      actionDone.textContent = doneMessage;
      actionDone.hidden = false;
      actionDone.focus();
      return;
    }
    const error = (data && data.error) || {};
    const fields = error.fields && typeof error.fields === 'object' ? error.fields : {};
    let message = error.message || ('提交没有成功（错误代码 ' + response.status + '），请稍后再试。');
    Object.keys(fields).forEach((name) => {
      if (fieldIds[name]) actionFieldError(fieldIds[name], fields[name]);
      else if (fields[name]) message += ' ' + fields[name];
    });
    if (response.status === 409) {
      // The work order moved on (rated already, sent back to repair...): show where it is now.
      showActionError(message + ' 页面已更新为最新进度。');
      show(ref, token, { keepMessages: true });
      return;
    }
    showActionError(message);
  }

  rateForm.noValidate = true;
  rateForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = rateForm.querySelector('input[name="rating"]:checked');
    const comment = ratingComment.value.trim();
    actionFieldError('rating', chosen ? '' : '请选择 1 到 5 分。');
    actionFieldError('rating-comment', comment.length > 200 ? '不能超过 200 个字。' : '');
    if (!chosen) { $('rating-1').focus(); return; }
    if (comment.length > 200) { ratingComment.focus(); return; }
    postAction('/rating', { rating: Number(chosen.value), comment: comment }, $('submit-rating'),
      RATE_FIELDS, '感谢您的评价！');
  });
  rateForm.addEventListener('change', () => actionFieldError('rating', ''));
  ratingComment.addEventListener('input', () => actionFieldError('rating-comment', ''));

  notFixedToggle.addEventListener('click', () => {
    const open = notFixedForm.hidden;
    openNotFixed(open);
    if (open) notFixedReason.focus();
  });
  notFixedForm.noValidate = true;
  notFixedForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const reason = notFixedReason.value.trim();
    let problem = '';
    if (reason.length < 2) problem = '请至少写 2 个字，说说哪里还没修好。';
    else if (reason.length > 300) problem = '不能超过 300 个字。';
    actionFieldError('not-fixed-reason', problem);
    if (problem) { notFixedReason.focus(); return; }
    postAction('/not-fixed', { reason: reason }, $('submit-not-fixed'), NOT_FIXED_FIELDS,
      '已收到您的反馈：工单已回到“维修中”，我们会重新安排维修。');
  });
  notFixedReason.addEventListener('input', () => actionFieldError('not-fixed-reason', ''));

  // ------------------------------------------------------------------ rendering

  function render(data) {
    setText('track-result-reference', data.reference);
    const status = $('track-status');
    status.textContent = data.status_label || data.status || '';
    status.dataset.status = data.status || '';
    status.classList.toggle('track-status--final', Boolean(data.final));
    setText('track-category', (data.category_label || data.category || '') + (data.emergency ? '（紧急）' : ''));
    setText('track-urgency', data.urgency_label || data.urgency);
    setText('track-location', data.location_detail
      ? data.location + '（' + data.location_detail + '）' : data.location);
    setText('track-description', data.description);
    setText('track-phone', data.contact_phone);
    setText('track-created', localTime(data.created_at));
    const respond = localTime(data.respond_by);
    setText('track-respond-by', respond ? respond + ' 之前' : '');
    const complete = localTime(data.complete_by);
    setText('track-complete-by', complete ? complete + ' 之前' : '');

    renderTimeline($('track-timeline'), data.timeline);
    const primary = data.primary;
    $('track-primary-section').hidden = !primary;
    if (primary) {
      setText('track-primary-reference', primary.reference);
      setText('track-primary-status', primary.status_label);
      renderTimeline($('track-primary-timeline'), primary.timeline);
    }
    renderPhotos(data.photos);
    renderRecord(data.details);
    renderActions(data);
    result.hidden = false;
  }

  function renderPhotos(photos) {
    const list = $('track-photos');
    list.textContent = '';
    (Array.isArray(photos) ? photos : []).forEach((photo, index) => {
      const li = document.createElement('li');
      const img = document.createElement('img');
      img.src = photo.url;
      img.alt = '您上传的第 ' + (index + 1) + ' 张照片';
      img.loading = 'lazy';
      img.addEventListener('error', () => { li.hidden = true; });  // an upload that never finished
      li.appendChild(img);
      list.appendChild(li);
    });
    $('track-photos-section').hidden = !list.children.length;
  }

  function renderTimeline(ol, timeline) {
    ol.textContent = '';
    (Array.isArray(timeline) ? timeline : []).forEach((entry) => {
      const li = document.createElement('li');
      li.className = 'timeline__entry';
      const time = document.createElement('time');
      time.className = 'timeline__time';
      time.dateTime = entry.at || '';
      time.textContent = localTime(entry.at);
      const label = document.createElement('span');
      label.className = 'timeline__status';
      label.textContent = entry.status_label || entry.status || '';
      li.append(time, label);
      if (entry.note) {
        const note = document.createElement('span');
        note.className = 'timeline__note';
        note.textContent = entry.note;
        li.appendChild(note);
      }
      ol.appendChild(li);
    });
  }

  async function show(ref, token, options) {
    const keepMessages = Boolean(options && options.keepMessages);
    if (busy) return;
    busy = true;
    if (!current || current.ref !== ref) resetActions();
    else if (!keepMessages) clearActionMessages();
    current = { ref: ref, token: token };
    errorBox.hidden = true;
    loading.hidden = false;
    result.setAttribute('aria-busy', 'true');
    let response;
    let data = null;
    try {
      response = await fetch(API + encodeURIComponent(ref), {
        headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'same-origin',
      });
      try { data = await response.json(); } catch (e) { data = null; }
    } catch (e) {
      response = null;
    }
    busy = false;
    loading.hidden = true;
    result.removeAttribute('aria-busy');

    if (!response) {
      showError('网络连接失败，请检查网络后点“查询”再试一次。');
      return;
    }
    if (response.ok && data && data.reference) {
      render(data);
      refInput.value = data.reference;
      form.hidden = true; // "查询其他报修" brings it back
      remember(data.reference, token, data.created_at);
      if (!keepMessages) result.focus();
      return;
    }
    result.hidden = true;
    form.hidden = false;
    const message = data && data.error && data.error.message;
    if (response.status === 404 || response.status === 401 || response.status === 403) {
      showError(message || NOT_FOUND);
    } else {
      showError(message || ('查询没有成功（错误代码 ' + response.status + '），请稍后再试。'));
    }
  }

  function fromFragment() {
    const f = fragment();
    if (f.ref && f.token) {
      refInput.value = f.ref;
      show(f.ref, f.token);
    }
  }

  // ------------------------------------------------------------------ form

  function fieldError(name, message) {
    const input = $('track-' + name);
    const err = $('error-track-' + name);
    err.textContent = message || '';
    err.hidden = !message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ref = normalizeReference(refInput.value);
    const token = tokenInput.value.trim();
    refInput.value = ref;
    fieldError('reference', ref ? '' : '请填写报修编号，例如 R-7KQ4-M2XP。');
    fieldError('token', token ? '' : '请填写查询码。');
    if (!ref) { refInput.focus(); return; }
    if (!token) { tokenInput.focus(); return; }
    const target = fragmentFor(ref, token);
    if (window.location.hash === target) show(ref, token);
    else window.location.hash = target; // hashchange → show()
  });
  refInput.addEventListener('input', () => fieldError('reference', ''));
  tokenInput.addEventListener('input', () => fieldError('token', ''));
  $('track-refresh').addEventListener('click', () => { if (current) show(current.ref, current.token); });
  $('track-other').addEventListener('click', () => {
    form.hidden = false;
    refInput.value = '';
    tokenInput.value = '';
    refInput.focus();
  });
  window.addEventListener('hashchange', fromFragment);

  renderList();
  fromFragment();
}());

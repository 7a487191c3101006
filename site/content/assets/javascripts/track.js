/*
 * Progress (查询进度) of repairs and of inquiries, complaints and suggestions, on one page:
 * reads #ref=...&token=... from the URL fragment (never the query string, so the token
 * does not reach any server log) and at once takes it out of the address bar and the
 * history entry (history.replaceState), asks the API with the token in the Authorization
 * header only, and renders status, details and timeline. Typed references and codes go
 * to the API directly, never through the address bar. The case on screen is kept in this
 * tab's history entry (history.state: no URL, not in the browser's history list) from the
 * moment it is asked for, so a reload or "back" shows it again, even one made before the
 * first answer came; "查询其他编号" and a "not found" answer drop it. A reference starting with C- is a
 * complaint case (/api/complaints/...), anything else a repair (/api/repairs/...).
 * "My reports" (我的报修和投诉建议) on this device come from my-cases.js (Butler.reports):
 * only the cases the resident chose to remember (Butler.rememberChoice on the result),
 * each with "查看" and "忘记".
 * Plain ES2017, no libraries.
 *
 * Repairs: the step records residents may read ("details": labels come from the workflow,
 * rendered into #track-record's data-step-fields at build time) and, when the API lists
 * them in "resident_actions", the rating form ("rate"), the "还没修好？" form
 * ("report_not_fixed") and, before work starts, the "我要取消报修" form ("cancel": a reason,
 * then 确定取消这张报修单吗？ before anything is sent).
 * Complaints: kind, topic, the first-contact owner, the department, the promised reply
 * time, the owner's reply (details.reply), and the "满意，办结" form ("confirm_satisfied",
 * optional rating) and the "还不满意？" form ("not_satisfied").
 * Every resident step POSTs JSON with the same Bearer header and answers with the full
 * updated view, which is rendered again; a 409 (the case moved on) reloads the view.
 */
(function () {
  'use strict';

  const form = document.getElementById('track-form');
  if (!form || !window.Butler) return;
  const B = window.Butler;

  const APIS = { repair: '/api/repairs/', complaint: '/api/complaints/' };
  const NOT_FOUND = {
    repair: '没有找到这条报修：请核对编号和查询码。',
    complaint: '没有找到这条咨询、投诉或建议：请核对编号和查询码。',
  };
  const KIND_TAGS = { repair: '报修', complaint: '投诉建议' };
  // Complaint step fields shown in their own place rather than in the record list
  // (promised_hours: as the promised reply time, #track-reply-by).
  const SHOWN_ELSEWHERE = ['reply', 'department', 'promised_hours'];

  const $ = (id) => document.getElementById(id);
  const result = $('track-result');
  const errorBox = $('track-error');
  const loading = $('track-loading');
  const refInput = $('track-reference');
  const rememberBox = result.querySelector('[data-remember]');
  const refreshCounts = B.watchCounts(result); // the counters under the action forms' text
  const tokenInput = $('track-token');
  let current = null; // {ref, token} on screen
  let busy = false;
  let posting = false;

  const actionError = $('action-error');
  const actionDone = $('action-done');
  // Repairs
  const actionsBox = $('resident-actions');
  const rateForm = $('rate-form');
  const notFixed = sendBack('not-fixed', '/not-fixed', '哪里还没修好');
  const cancelBox = $('cancel-actions');
  const cancel = sendBack('cancel', '/cancel', '为什么取消');
  const ratingComment = $('rating-comment');
  // Complaints
  const complaintBox = $('complaint-actions');
  const satisfiedForm = $('satisfied-form');
  const notSatisfied = sendBack('not-satisfied', '/not-satisfied', '哪里不满意');

  function stepFieldsOf(list) {
    try {
      return JSON.parse(list.dataset.stepFields || '[]');
    } catch (e) {
      return [];
    }
  }
  const repairRecord = { section: $('track-record-section'), list: $('track-record') };
  repairRecord.fields = stepFieldsOf(repairRecord.list);
  const complaintRecord = { section: $('track-complaint-record-section'), list: $('track-complaint-record') };
  complaintRecord.fields = stepFieldsOf(complaintRecord.list)
    .filter((f) => SHOWN_ELSEWHERE.indexOf(f.name) < 0);

  form.noValidate = true;

  // ------------------------------------------------------------------ helpers

  const localTime = B.localTime;

  // What a resident types: spaces, lower case, dashes anywhere, O/I/L for 0/1.
  function normalizeReference(text) {
    const cleaned = String(text || '').trim().toUpperCase().replace(/[\s\-_－—–]/g, '');
    if (cleaned.length !== 9) return String(text || '').trim().toUpperCase();
    const body = cleaned.slice(1).replace(/O/g, '0').replace(/[IL]/g, '1');
    return cleaned[0] + '-' + body.slice(0, 4) + '-' + body.slice(4);
  }

  function apiFor(ref) { return APIS[B.kindOf(ref)]; }

  function fragment() {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    return { ref: normalizeReference(params.get('ref') || ''), token: (params.get('token') || '').trim() };
  }

  // The case on screen, or being asked for, in this tab's history entry (history.state),
  // never in its URL; null: none.
  function keep(item) {
    window.history.replaceState(item, '', window.location.pathname + window.location.search);
  }

  function setText(id, text) { $(id).textContent = text || '—'; }

  // An optional row of a details list: the <dd> and the <dt> before it.
  function setRow(id, text) {
    const dd = $(id);
    dd.textContent = text || '';
    dd.hidden = !text;
    if (dd.previousElementSibling) dd.previousElementSibling.hidden = !text;
  }

  // ------------------------------------------------------------------ device list

  function forget(ref) {
    B.reports.forget(ref); // the list follows (Butler.reports.onChange)
    $('my-repairs-status').textContent = '已从本机移除 ' + ref + '。记录本身不受影响，仍可用编号和查询码查询。';
  }

  function renderList() {
    const list = B.reports.list();
    const ul = $('my-repairs-list');
    ul.textContent = '';
    list.forEach((item) => {
      const li = document.createElement('li');
      li.className = 'my-repairs__item';
      li.dataset.kind = B.kindOf(item.reference);
      // A button, not a link with the token in its fragment: opening a case leaves no
      // token in the address bar or the history.
      const ref = document.createElement('span');
      ref.className = 'my-repairs__link';
      ref.textContent = item.reference;
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'md-button md-button--primary my-repairs__open';
      open.textContent = '查看';
      open.setAttribute('aria-label', '查看 ' + item.reference);
      open.addEventListener('click', () => show(item.reference, item.token));
      const tag = document.createElement('span');
      tag.className = 'my-repairs__kind';
      tag.textContent = KIND_TAGS[B.kindOf(item.reference)];
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
      li.append(ref, tag, when, open, button);
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
    const input = $('rating-' + value) || $('satisfaction-' + value);
    const word = input ? input.dataset.word : '';
    return value + ' 分' + (word ? '（' + word + '）' : '');
  }

  function renderRecord(record, details) {
    record.list.textContent = '';
    let shown = 0;
    const values = details && typeof details === 'object' ? details : {};
    record.fields.forEach((field) => {
      if (!Object.prototype.hasOwnProperty.call(values, field.name)) return;
      const value = values[field.name];
      if (value === null || value === undefined || value === '') return;
      const dt = document.createElement('dt');
      dt.textContent = field.label;
      const dd = document.createElement('dd');
      dd.dataset.field = field.name;
      dd.textContent = field.kind === 'rating' ? ratingText(value) : String(value);
      record.list.append(dt, dd);
      shown += 1;
    });
    record.section.hidden = shown === 0;
  }

  // ------------------------------------------------------------------ resident actions

  function renderActions(data) {
    const actions = Array.isArray(data.resident_actions) ? data.resident_actions : [];
    const complaint = B.kindOf(data.reference) === 'complaint';
    const offered = (code) => actions.indexOf(code) !== -1;
    const canRate = !complaint && offered('rate');
    const canReport = !complaint && offered('report_not_fixed');
    const canConfirm = complaint && offered('confirm_satisfied');
    const canObject = complaint && offered('not_satisfied');
    const canCancel = !complaint && offered('cancel');
    rateForm.hidden = !canRate;
    notFixed.box.hidden = !canReport;
    if (!canReport) notFixed.open(false);
    actionsBox.hidden = !(canRate || canReport);
    satisfiedForm.hidden = !canConfirm;
    notSatisfied.box.hidden = !canObject;
    if (!canObject) notSatisfied.open(false);
    complaintBox.hidden = !(canConfirm || canObject);
    cancelBox.hidden = !canCancel;
    if (!canCancel) cancel.open(false);
  }

  // "Not fixed" (repairs), "not satisfied" (complaints) and "cancel" (repairs): a toggle
  // opens a form that sends the case on with a reason. Elements by id: NAME (the box, if
  // any), NAME-toggle, NAME-form (its data-done is the thank-you), NAME-reason,
  // submit-NAME. A form with NAME-confirm asks first: submitting shows that question
  // (NAME-ask, the submit row, hides meanwhile) and NAME-confirm-yes sends,
  // NAME-confirm-no goes back to the reason.
  function sendBack(name, path, question) {
    const box = $(name);
    const form = $(name + '-form');
    const toggle = $(name + '-toggle');
    const reason = $(name + '-reason');
    const confirmBox = $(name + '-confirm');
    const confirming = (on) => {
      if (!confirmBox) return;
      confirmBox.hidden = !on;
      $(name + '-ask').hidden = on;
      if (on) B.reveal(confirmBox);
    };
    const open = (show) => {
      form.hidden = !show;
      toggle.setAttribute('aria-expanded', show ? 'true' : 'false');
      confirming(false);
    };
    const send = async (button) => {
      await postAction(path, { reason: reason.value.trim() }, button, { reason: reason.id }, form.dataset.done);
      confirming(false);
    };
    toggle.addEventListener('click', () => {
      const show = form.hidden;
      open(show);
      if (show) reason.focus();
    });
    form.noValidate = true;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const problem = reasonProblem(reason, question);
      actionFieldError(reason.id, problem);
      if (problem) { reason.focus(); return; }
      if (confirmBox) confirming(true);
      else send($('submit-' + name));
    });
    if (confirmBox) {
      $(name + '-confirm-yes').addEventListener('click', () => send($(name + '-confirm-yes')));
      $(name + '-confirm-no').addEventListener('click', () => { confirming(false); reason.focus(); });
      reason.addEventListener('input', () => confirming(false)); // a changed reason is asked again
    }
    lengthOnInput(reason);
    return { box: box, form: form, open: open };
  }

  // id: an input's id, or the name of a fieldset "field-<id>" (rating, satisfaction).
  function actionFieldError(id, message) {
    const err = $('error-' + id);
    err.textContent = message || '';
    err.hidden = !message;
    const input = $(id) || $('field-' + id);
    const wrapper = input.closest('.field');
    if (wrapper) wrapper.classList.toggle('field--invalid', Boolean(message));
    if (input.tagName !== 'FIELDSET') {
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }

  const ACTION_FIELDS = ['rating', 'rating-comment', 'not-fixed-reason', 'satisfaction', 'not-satisfied-reason',
    'cancel-reason'];

  function clearActionMessages() {
    actionError.hidden = true;
    actionError.textContent = '';
    actionDone.hidden = true;
    actionDone.textContent = '';
    ACTION_FIELDS.forEach((id) => actionFieldError(id, ''));
  }

  function resetActions() {
    clearActionMessages();
    [rateForm, notFixed.form, satisfiedForm, notSatisfied.form, cancel.form].forEach((f) => f.reset());
    refreshCounts();
    notFixed.open(false);
    notSatisfied.open(false);
    cancel.open(false);
  }

  function showActionError(message) {
    actionError.textContent = message;
    actionError.hidden = false;
    actionError.focus();
  }

  // The API's field names → the ids of the inputs they belong to.
  const RATE_FIELDS = { rating: 'rating', comment: 'rating-comment' };
  const SATISFIED_FIELDS = { rating: 'satisfaction' };

  async function postAction(path, body, button, fieldIds, doneMessage) {
    if (posting || !current) return;
    posting = true;
    button.disabled = true;
    clearActionMessages();
    const ref = current.ref;
    const token = current.token;
    const { response, data } = await B.callApi(apiFor(ref) + encodeURIComponent(ref) + path, {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
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
      // The case moved on (rated already, sent back, closed...): show where it is now.
      showActionError(message + ' 页面已更新为最新进度。');
      show(ref, token, { keepMessages: true });
      return;
    }
    showActionError(message);
  }

  // Lengths from the textarea's data-min-chars / data-max-chars (the API's schema), counted
  // as the server counts (forms.js).
  function reasonProblem(input, what) {
    const min = Number(input.dataset.minChars) || 1;
    if (B.chars(input.value.trim()) < min) return '请至少写 ' + min + ' 个字，说说' + what + '。';
    return B.lengthProblem(input);
  }

  // Over the limit: said as soon as the text is typed or pasted, never cut.
  function lengthOnInput(input) {
    input.addEventListener('input', () => actionFieldError(input.id, B.tooLong(input) ? B.lengthProblem(input) : ''));
  }

  // Repairs: rating, "not fixed".
  rateForm.noValidate = true;
  rateForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = rateForm.querySelector('input[name="rating"]:checked');
    const comment = ratingComment.value.trim();
    const commentProblem = B.lengthProblem(ratingComment);
    actionFieldError('rating', chosen ? '' : '请选择 1 到 5 分。');
    actionFieldError('rating-comment', commentProblem);
    if (!chosen) { $('rating-1').focus(); return; }
    if (commentProblem) { ratingComment.focus(); return; }
    postAction('/rating', { rating: Number(chosen.value), comment: comment }, $('submit-rating'),
      RATE_FIELDS, '感谢您的评价！');
  });
  rateForm.addEventListener('change', () => actionFieldError('rating', ''));
  lengthOnInput(ratingComment);

  // Complaints: "satisfied" (rating optional); "not satisfied" is sendBack() above.
  satisfiedForm.noValidate = true;
  satisfiedForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = satisfiedForm.querySelector('input[name="satisfaction"]:checked');
    const body = chosen ? { rating: Number(chosen.value) } : {};
    postAction('/satisfied', body, $('submit-satisfied'), SATISFIED_FIELDS, satisfiedForm.dataset.done);
  });
  satisfiedForm.addEventListener('change', () => actionFieldError('satisfaction', ''));



  // ------------------------------------------------------------------ rendering

  function render(data) {
    const complaint = B.kindOf(data.reference) === 'complaint';
    $('track-result-kind').textContent = complaint ? (data.kind_label || KIND_TAGS.complaint) : KIND_TAGS.repair;
    setText('track-result-reference', data.reference);
    const status = $('track-status');
    status.textContent = data.status_label || data.status || '';
    status.dataset.status = data.status || '';
    status.classList.toggle('track-status--final', Boolean(data.final));
    $('track-details').hidden = complaint;
    $('track-complaint-details').hidden = !complaint;
    if (complaint) renderComplaint(data);
    else renderRepair(data);
    renderTimeline($('track-timeline'), data.timeline);
    renderActions(data);
    result.hidden = false;
  }

  function renderRepair(data) {
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

    const primary = data.primary;
    $('track-primary-section').hidden = !primary;
    if (primary) {
      setText('track-primary-reference', primary.reference);
      setText('track-primary-status', primary.status_label);
      renderTimeline($('track-primary-timeline'), primary.timeline);
    }
    renderPhotos(data.photos);
    renderRecord(repairRecord, data.details);
    $('track-reply-section').hidden = true;
    complaintRecord.section.hidden = true;
  }

  function renderComplaint(data) {
    const details = data.details && typeof data.details === 'object' ? data.details : {};
    setText('track-kind', data.kind_label || data.kind);
    setText('track-topic', data.topic_label || data.topic);
    setText('track-owner', data.owner_name || '正在安排，认领后显示');
    setText('track-department', data.department_label);
    const replyBy = localTime(data.reply_by);
    setRow('track-reply-by', replyBy ? replyBy + ' 之前' : '');
    setText('track-complaint-description', data.description);
    setText('track-complaint-phone', data.contact_phone);
    setText('track-complaint-created', localTime(data.created_at));
    const reopened = Number(data.reopen_count) || 0;
    setRow('track-reopen-count', reopened > 0 ? '您提出不满意后，已重新跟进 ' + reopened + ' 次' : '');

    const reply = typeof details.reply === 'string' ? details.reply.trim() : '';
    $('track-reply').textContent = reply;
    $('track-reply-section').hidden = !reply;
    renderRecord(complaintRecord, data.details);
    $('track-primary-section').hidden = true;
    $('track-photos-section').hidden = true;
    repairRecord.section.hidden = true;
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
    keep(current); // from the moment it is asked for: a reload during the request asks again
    errorBox.hidden = true;
    loading.hidden = false;
    result.setAttribute('aria-busy', 'true');
    const { response, data } = await B.callApi(apiFor(ref) + encodeURIComponent(ref), {
      headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' },
    });
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
      form.hidden = true; // "查询其他编号" brings it back
      B.rememberChoice(rememberBox, { reference: data.reference, token: token, created: data.created_at });
      keep({ ref: data.reference, token: token });
      if (!keepMessages) B.reveal(result);
      return;
    }
    result.hidden = true;
    form.hidden = false;
    const message = data && data.error && data.error.message;
    if (response.status === 404 || response.status === 401 || response.status === 403) {
      keep(null); // no such case: a reload shows the empty form (a network or server error keeps it, to retry)
      showError(message || NOT_FOUND[B.kindOf(ref)]);
    } else {
      showError(message || ('查询没有成功（错误代码 ' + response.status + '），请稍后再试。'));
    }
  }

  // The private link's #ref=...&token=...: read once, then gone from the address bar, the
  // case kept in this history entry at once (a reload or "back" shows it, even one made
  // before the first answer came back, and no token is in any URL).
  function fromFragment() {
    const f = fragment();
    const linked = f.ref && f.token ? { ref: f.ref, token: f.token } : null;
    if (f.ref || f.token) keep(linked);
    const kept = linked || window.history.state;
    if (kept && kept.ref && kept.token) {
      refInput.value = kept.ref;
      show(kept.ref, kept.token);
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
    fieldError('reference', ref ? '' : '请填写编号，例如 R-7KQ4-M2XP。');
    fieldError('token', token ? '' : '请填写查询码。');
    if (!ref) { refInput.focus(); return; }
    if (!token) { tokenInput.focus(); return; }
    show(ref, token);
  });
  refInput.addEventListener('input', () => fieldError('reference', ''));
  tokenInput.addEventListener('input', () => fieldError('token', ''));
  $('track-refresh').addEventListener('click', () => { if (current) show(current.ref, current.token); });
  $('track-other').addEventListener('click', () => {
    keep(null);
    form.hidden = false;
    refInput.value = '';
    tokenInput.value = '';
    refInput.focus();
  });
  window.addEventListener('hashchange', fromFragment);
  B.reports.onChange(renderList);

  renderList();
  fromFragment();
}());

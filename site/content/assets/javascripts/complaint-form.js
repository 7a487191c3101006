/*
 * Inquiries, complaints and suggestions (咨询/投诉/建议) form: progressive enhancement over
 * the static form in complaints/index.md. Plain ES2017, no libraries, no inline handlers.
 * Validation messages, the Idempotency-Key, the server's field errors, "my reports" and the
 * success panel come from forms.js (Butler.caseForm); this file adds what only this form has:
 *
 * - Name and phone are required for inquiries and complaints, optional for suggestions
 *   (and left out of the request when empty).
 * - The topic's hint names the department it usually goes to.
 * - The house number is optional (unit-picker.js); the phone is sent as typed (the
 *   server normalises it), the page only refuses what no phone number looks like.
 * - The success panel says by when the first-contact owner answers (respond_by).
 */
window.Butler.enhance('complaint-form', (form, B) => {
  'use strict';

  const API = '/api/complaints';
  const FIELDS = ['kind', 'topic', 'description', 'contact_name', 'contact_phone', 'unit'];
  const CONTACT_OPTIONAL = ['suggestion']; // kinds that may be sent without name and phone

  const $ = (id) => document.getElementById(id);
  const topic = $('field-topic');
  const topicHint = $('hint-topic');
  const topicHintDefault = topicHint.textContent;
  const unitPicker = B.unitPicker($('field-unit'));

  function contactOptional() { return CONTACT_OPTIONAL.indexOf(ctl.value('kind')) >= 0; }

  function kindLabel() {
    const checked = ctl.radios('kind').find((r) => r.checked);
    return checked ? checked.dataset.label : '';
  }

  // ------------------------------------------------------------------ validation

  function validate() {
    const value = ctl.value;
    const errors = {};
    if (!value('kind')) errors.kind = '请选择是咨询、投诉还是建议。';
    if (!value('topic')) errors.topic = '请选择关于哪方面，拿不准就选“其他”。';
    // Lengths: data-min-chars / data-max-chars, checked by forms.js as the server counts.
    if (!value('description')) errors.description = '请写一下具体内容。';
    const optional = contactOptional();
    if (!value('contact_name') && !optional) errors.contact_name = '请填写联系人，例如 王女士。';
    const phone = value('contact_phone');
    if (!phone) {
      if (!optional) errors.contact_phone = '请填写联系电话，首问负责人要联系您。';
    } else if (B.phoneProblem(phone)) {
      errors.contact_phone = B.phoneProblem(phone);
    }
    const unit = unitPicker.problem(false);
    if (unit) errors.unit = unit;
    return errors;
  }

  function payload() {
    const value = ctl.value;
    const body = { kind: value('kind'), topic: value('topic'), description: value('description') };
    const name = value('contact_name');
    const phone = value('contact_phone');
    if (name || !contactOptional()) body.contact_name = name;
    if (phone || !contactOptional()) body.contact_phone = phone;
    const unit = unitPicker.value();
    if (unit) body.unit = unit;
    return body;
  }

  // ------------------------------------------------------------------ dynamic form

  function updateKind() {
    const optional = contactOptional();
    form.querySelectorAll('[data-contact="required"]').forEach((el) => { el.hidden = optional; });
    form.querySelectorAll('[data-contact="optional"]').forEach((el) => { el.hidden = !optional; });
    $('field-contact_name').required = !optional;
    $('field-contact_phone').required = !optional;
    if (optional) {
      if (!ctl.value('contact_name')) ctl.clearFieldError('contact_name');
      if (!ctl.value('contact_phone')) ctl.clearFieldError('contact_phone');
    }
  }

  function updateTopic() {
    const opt = topic.options[topic.selectedIndex];
    topicHint.textContent = (opt && opt.value && opt.dataset.department)
      ? '一般由' + opt.dataset.department + '协助处理，首问负责人全程跟进。' : topicHintDefault;
  }

  // ------------------------------------------------------------------ success and reset

  function onSuccess(data) {
    const label = kindLabel();
    $('complaint-result-title').textContent = label ? '您的' + label + '已提交，谢谢您' : '已提交，谢谢您';
    const respond = $('result-respond-by');
    const when = data.respond_by ? B.localTime(data.respond_by) : '';
    respond.textContent = when
      ? '首问负责人会在 ' + when + '（北京时间）之前答复您；需要其他部门处理的，也会在这之前告诉您约定的答复时间。'
      : '';
    respond.hidden = !when;
  }

  function onReset() {
    updateKind();
    updateTopic();
    const first = ctl.radios('kind')[0];
    if (first) first.focus();
  }

  // ------------------------------------------------------------------ wiring

  const ctl = B.caseForm(form, {
    api: API,
    fields: FIELDS,
    submit: $('submit-complaint'),
    result: $('complaint-result'),
    noun: '您的意见',
    duplicate: '两条记录',
    validate: validate,
    payload: payload,
    onSuccess: onSuccess,
    onReset: onReset,
  });

  ctl.prefill();
  updateKind();
  updateTopic();

  ctl.radios('kind').forEach((r) => r.addEventListener('change', updateKind));
  topic.addEventListener('change', updateTopic);
  $('complaint-again').addEventListener('click', ctl.reset);
});

/*
 * Quarterly satisfaction survey (满意度调查) form: progressive enhancement over the static
 * form in survey/index.md. Plain ES2017, no libraries, no inline handlers.
 * Validation messages, the Idempotency-Key, the server's field errors (keyed by body path:
 * "code", "scores.reception", "overall" ...) and the thank-you panel come from forms.js
 * (Butler.jsonForm); this file adds what only this form has:
 *
 * - The service areas are read from the form (the page lists them from
 *   butler.domain.surveys.AREAS); none is named here.
 * - The invitation code comes from the URL fragment (#code=K7Q2M-XP9RT: what the printed QR
 *   codes open), which browsers never send to a server; never from the query string. Once
 *   read, it is taken out of the address bar so it stays out of history and shared links.
 *   A code opened while the page is already open (a fragment change: hashchange) fills
 *   the form again, a new form if the last one was sent.
 * - Codes are tidied as butler.domain.surveys.normalize_code does (case, spaces, dashes,
 *   O/I/L typed for 0/1) and checked with the pattern the page carries (data-code-pattern).
 * - The thank-you panel names the quarter the answers count for.
 */
window.Butler.enhance('survey-form', (form, B) => {
  'use strict';

  const API = '/api/surveys';
  const $ = (id) => document.getElementById(id);
  const AREAS = Array.from(form.querySelectorAll('fieldset[data-area]'), (el) => el.dataset.area);
  const FIELDS = ['code'].concat(AREAS.map((area) => 'scores.' + area), ['overall', 'recommend', 'comment']);
  const CODE_PATTERN = new RegExp(form.dataset.codePattern);
  const CODE_LENGTH = Number(form.dataset.codeLength);
  const codeField = $('field-code');

  function normalizeCode(text) {
    const cleaned = String(text || '').replace(/[\s\-_－—]/g, '').toUpperCase()
      .replace(/O/g, '0').replace(/[IL]/g, '1');
    return cleaned.length === CODE_LENGTH ? cleaned.slice(0, 5) + '-' + cleaned.slice(5) : cleaned;
  }

  // ------------------------------------------------------------------ validation

  function validate() {
    const value = ctl.value;
    const errors = {};
    const code = normalizeCode(value('code'));
    if (!code) errors.code = '请填写邀请函上的邀请码。';
    else if (!CODE_PATTERN.test(code)) errors.code = '邀请码是 10 位字母和数字，例如 K7Q2M-XP9RT，请核对后再填。';
    AREAS.forEach((area) => {
      if (!value('scores.' + area)) errors['scores.' + area] = '请给这一项打分（1–5 分）。';
    });
    if (!value('overall')) errors.overall = '请给出总体评价（1–5 分）。';
    if (!value('recommend')) errors.recommend = '请选择是否愿意推荐。';
    // the comment's length: data-max-chars, checked by forms.js as the server counts
    return errors;
  }

  function payload() {
    const value = ctl.value;
    const scores = {};
    AREAS.forEach((area) => { scores[area] = Number(value('scores.' + area)); });
    const body = {
      code: normalizeCode(value('code')),
      scores: scores,
      overall: Number(value('overall')),
      recommend: value('recommend') === 'yes',
    };
    if (value('comment')) body.comment = value('comment');
    return body;
  }

  // ------------------------------------------------------------------ the code

  function codeFromFragment() {
    const hash = window.location.hash.replace(/^#/, '');
    if (hash.indexOf('=') < 0) return;
    const code = new URLSearchParams(hash).get('code');
    if (!code) return;
    if (form.hidden) ctl.reset(); // the last answers were sent: this code is a new form
    codeField.value = normalizeCode(code);
    ctl.clearFieldError('code');
    window.history.replaceState(null, '', window.location.pathname);
  }

  function tidyCode() {
    const code = normalizeCode(codeField.value);
    if (CODE_PATTERN.test(code)) codeField.value = code;
  }

  // ------------------------------------------------------------------ success

  function onSuccess(data) {
    const quarter = $('survey-result-quarter');
    quarter.textContent = data.label ? '您对 ' + data.label + '物业服务的评价已经记录。' : '';
    quarter.hidden = !data.label;
  }

  // ------------------------------------------------------------------ wiring

  const ctl = B.jsonForm(form, {
    api: API,
    fields: FIELDS,
    submit: $('submit-survey'),
    result: $('survey-result'),
    noun: '您的答卷',
    duplicate: '两份答卷',
    validate: validate,
    payload: payload,
    accepted: (data) => data.status === 'recorded',
    onSuccess: onSuccess,
  });

  codeFromFragment();
  window.addEventListener('hashchange', codeFromFragment);
  codeField.addEventListener('change', tidyCode);
});

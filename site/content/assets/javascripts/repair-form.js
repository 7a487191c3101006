/*
 * Online repair report (报修) form: progressive enhancement over the static form in
 * repairs/index.md. Plain ES2017, no libraries, no inline handlers (CSP script-src 'self').
 * Validation messages, the Idempotency-Key, the server's field errors, "my reports" and
 * the success panel come from forms.js (Butler.caseForm); this file adds what only
 * repairs have:
 *
 * - Prefills fields from the query string or the fragment (?location_type=public&location=...).
 *   A QR poster's #location=3号楼2单元电梯 (optionally &type=public) means a public area:
 *   公共区域 is selected, and the fragment is then removed from the address bar.
 * - Shows the "call now" box first when an emergency category is chosen.
 * - A category that only happens in a common area (its option's data-location="public":
 *   电梯困人, 电梯故障, 公共设施, from the domain's Category.public_area) chooses 公共区域;
 *   choosing another category afterwards puts back what the resident had, unless they
 *   changed the location themselves meanwhile.
 * - Home or public area: the house number (unit-picker.js) or the exact place is required.
 * - The phone is sent as typed (the server accepts every common way of writing one and
 *   stores its normal form); the page only refuses what no phone number looks like.
 * - Photos: shrunk on the phone and uploaded after the report is filed.
 */
window.Butler.enhance('repair-form', (form, B) => {
  'use strict';

  const API = '/api/repairs';
  const FIELDS = ['category', 'urgency', 'location_type', 'unit', 'location', 'description',
    'contact_name', 'contact_phone', 'preferred_time', 'photos'];

  const $ = (id) => document.getElementById(id);
  const category = $('field-category');
  const callNow = $('call-now');
  const categoryHint = $('hint-category');
  const categoryHintDefault = categoryHint.textContent;
  const unitPicker = B.unitPicker($('field-unit'));
  let locationBeforeCategory = null; // what the resident had chosen before a category switched it

  // ------------------------------------------------------------------ helpers

  function selectedOption() { return category.options[category.selectedIndex] || null; }

  function isEmergency() {
    const opt = selectedOption();
    return Boolean(opt && opt.dataset.emergency === 'true');
  }

  // ------------------------------------------------------------------ validation

  function validate() {
    const value = ctl.value;
    const errors = {};
    const emergency = isEmergency();
    if (!value('category')) errors.category = '请选择报修类别。';
    if (!emergency && !value('urgency')) errors.urgency = '请选择紧急程度。';
    const where = value('location_type');
    if (!where) errors.location_type = '请选择是家里还是公共区域。';
    if (where === 'home') {
      const unit = unitPicker.problem(true);
      if (unit) errors.unit = unit;
    }
    if (where === 'public' && !value('location')) {
      errors.location = '请写明具体地点，例如 3 号楼电梯。';
    }
    // Lengths: data-min-chars / data-max-chars, checked by forms.js as the server counts.
    if (!value('description')) errors.description = '请简单描述一下问题。';
    if (!value('contact_name')) errors.contact_name = '请填写联系人，例如 王女士。';
    const phone = value('contact_phone');
    if (!phone) errors.contact_phone = '请填写联系电话。';
    else if (B.phoneProblem(phone)) errors.contact_phone = B.phoneProblem(phone);
    const photos = photoError();
    if (photos) errors.photos = photos;
    return errors;
  }

  function payload() {
    const value = ctl.value;
    const body = { category: value('category') };
    if (!isEmergency()) body.urgency = value('urgency');
    body.location_type = value('location_type');
    if (body.location_type === 'home') body.unit = unitPicker.value();
    const location = value('location');
    if (location) body.location = location;
    body.description = value('description');
    body.contact_name = value('contact_name');
    body.contact_phone = value('contact_phone');
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
    ctl.radios('urgency').forEach((r) => { r.disabled = emergency; });
    urgency.querySelector('.choices').hidden = emergency;
    $('hint-urgency').hidden = emergency;
    $('urgency-emergency-note').hidden = !emergency;
    if (emergency) ctl.clearFieldError('urgency');
  }

  // A common-area category chooses 公共区域; leaving it restores the resident's choice.
  function locationForCategory() {
    const opt = selectedOption();
    const publicOnly = Boolean(opt && opt.dataset.location === 'public');
    const current = ctl.value('location_type');
    if (publicOnly && current !== 'public') {
      locationBeforeCategory = current;
      $('field-location_type-public').checked = true;
    } else if (!publicOnly && locationBeforeCategory) {
      $('field-location_type-' + locationBeforeCategory).checked = true;
      locationBeforeCategory = null;
    }
    if (publicOnly) ctl.clearFieldError('location_type');
    updateLocation();
  }

  function updateLocation() {
    const home = ctl.value('location_type') !== 'public';
    $('unit-field').hidden = !home;
    $('field-location').required = !home;
    $('location-label-home').hidden = !home;
    $('location-label-public').hidden = home;
    $('location-hint-home').hidden = !home;
    $('location-hint-public').hidden = home;
    if (!home) ctl.clearFieldError('unit');
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
    status.hidden = true;
    status.textContent = '';
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

  // ------------------------------------------------------------------ success and reset

  function onSuccess(data) {
    const respond = $('result-respond-by');
    const when = data.respond_by ? B.localTime(data.respond_by) : '';
    respond.textContent = when ? '我们会在 ' + when + '（北京时间）之前与您联系或到场处理。' : '';
    respond.hidden = !when;
    $('result-emergency').hidden = !data.emergency;
    callNow.hidden = true;
    uploadPhotos(data.reference, data.token, chosenPhotos());
  }

  function onReset() {
    locationBeforeCategory = null;
    updateCategory();
    updateLocation();
    unitPicker.update();
    category.focus();
  }

  // ------------------------------------------------------------------ wiring

  const ctl = B.caseForm(form, {
    api: API,
    fields: FIELDS,
    submit: $('submit-repair'),
    result: $('repair-result'),
    noun: '报修',
    duplicate: '两张报修单',
    validate: validate,
    payload: payload,
    onSuccess: onSuccess,
    onReset: onReset,
  });

  // A QR poster (site/posters.py) opens #location=...: a public area, unless the link
  // says otherwise. The fragment has done its job: drop it so a reload starts clean.
  function prefillFromPoster() {
    const hash = window.location.hash.replace(/^#/, '');
    if (hash.indexOf('=') < 0) return;
    const params = new URLSearchParams(hash);
    if (params.get('type') === 'public' || (params.has('location') && !params.has('location_type'))) {
      $('field-location_type-public').checked = true;
    }
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }

  ctl.prefill();
  prefillFromPoster();
  updateCategory();
  locationForCategory(); // a prefilled category may imply a common area

  category.addEventListener('change', () => {
    updateCategory();
    locationForCategory();
    if (isEmergency()) callNow.scrollIntoView({ block: 'nearest' });
  });
  ctl.radios('location_type').forEach((r) => r.addEventListener('change', () => {
    locationBeforeCategory = null; // the resident's own choice from now on
    ctl.clearFieldError('location');
    updateLocation();
  }));
  $('repair-again').addEventListener('click', ctl.reset);
});

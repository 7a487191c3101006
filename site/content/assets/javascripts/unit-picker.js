/*
 * The house number (房号) as three pickers: building and unit chosen from the estate's
 * layout (the options carry data-units, data-floors and data-rooms, rendered at build
 * time from butler.domain.estate, the layout the server checks against: site/forms.py),
 * the room typed as digits (floor and two-digit room: 1201), so nobody has to type a
 * hyphen on a number pad. The API gets the normal form "3-2-1201" ("6-1-802": no
 * leading zero); the server checks it again and its message shows next to the field. Loaded after forms.js by the repair and complaint pages. Plain ES2017.
 *
 * Butler.unitPicker(fieldset) → { value(), problem(required), update() }:
 *   value()            "building-unit-room", or '' when nothing is filled in
 *   problem(required)  '' or what is missing or impossible, in Chinese; the part to fix
 *                      carries data-problem (forms.js focuses it)
 *   update()           rebuild the unit choices for the chosen building
 */
(function (B) {
  'use strict';

  if (!B) return;

  function unitPicker(fieldset) {
    const part = (name) => fieldset.querySelector('[data-part="' + name + '"]');
    const building = part('building');
    const entrance = part('entrance');
    const room = part('room');

    function chosenBuilding() {
      const opt = building.options[building.selectedIndex];
      return opt && opt.value ? opt : null;
    }

    function update() {
      const opt = chosenBuilding();
      const keep = entrance.value;
      entrance.textContent = '';
      const placeholder = document.createElement('option');
      placeholder.value = '';
      placeholder.textContent = opt ? '请选择' : '请先选楼号';
      entrance.appendChild(placeholder);
      const units = opt ? Number(opt.dataset.units) : 0;
      for (let n = 1; n <= units; n += 1) {
        const o = document.createElement('option');
        o.value = String(n);
        o.textContent = n + ' 单元';
        entrance.appendChild(o);
      }
      entrance.disabled = !opt;
      if (keep && Number(keep) <= units) entrance.value = keep;
      else if (units === 1) entrance.value = '1';
    }

    function roomDigits() {
      // Full-width digits from some keyboards count as digits; a trailing 室 is fine.
      return room.value.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xFEE0))
        .replace(/室$/, '');
    }

    function empty() { return !building.value && !entrance.value && !roomDigits(); }

    function value() {
      if (empty()) return '';
      const digits = roomDigits();
      const room = /^[0-9]{3,4}$/.test(digits) ? String(Number(digits)) : digits; // 0802 → 802
      return building.value + '-' + entrance.value + '-' + room;
    }

    function problem(required) {
      [building, entrance, room].forEach((el) => el.removeAttribute('data-problem'));
      const found = check(required);
      if (found) found[0].setAttribute('data-problem', 'true');
      return found ? found[1] : '';
    }

    // [part, message] or null.
    function check(required) {
      if (empty()) return required ? [building, '请选择楼号和单元，再填写房号，例如 3 号楼 2 单元 1201。'] : null;
      const opt = chosenBuilding();
      if (!opt) return [building, '请选择楼号。'];
      if (!entrance.value) return [entrance, '请选择单元。'];
      const digits = roomDigits();
      if (!digits) return [room, '请填写房号，例如 1201（12 楼 01 室）。'];
      if (!/^[0-9]{3,4}$/.test(digits)) return [room, '房号只填数字：楼层加两位房间号，例如 1201 是 12 楼 01 室。'];
      const floor = Number(digits.slice(0, -2));
      const door = Number(digits.slice(-2));
      const floors = Number(opt.dataset.floors);
      const rooms = Number(opt.dataset.rooms);
      if (floor < 1 || floor > floors) {
        return [room, opt.value + ' 号楼只有 ' + floors + ' 层：房号 ' + digits + ' 是 ' + floor +
          ' 楼，请核对（房号是楼层加两位房间号，例如 1201 是 12 楼 01 室）。'];
      }
      if (door < 1 || (rooms && door > rooms)) {
        return [room, opt.value + ' 号楼每层只有 ' + rooms + ' 户（01–' + String(rooms).padStart(2, '0') +
          ' 室），请核对房号 ' + digits + '。'];
      }
      return null;
    }

    building.addEventListener('change', update);
    const form = fieldset.closest('form');
    if (form) form.addEventListener('reset', () => window.setTimeout(update, 0));
    update();
    return { value: value, problem: problem, update: update };
  }

  B.extend('unitPicker', unitPicker);
}(window.Butler));

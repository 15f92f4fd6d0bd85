// SPDX-License-Identifier: Apache-2.0
// mynasim control room: reads and steers the world through the same /__admin API as curl.
// Opened at /worlds/{id}/__admin/ui it steers that named world: every call carries the prefix.
// Every value from the server is put into the page as text (textContent / attributes), never
// as markup, so a persona called "<script>" stays a name.
'use strict';

const POLL_MS = 2000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const JST_OFFSET_MS = 9 * 3600 * 1000;
const state = { clock: null, faults: [], availability: null, selectedProcess: null, timelineFrom: null, timelineKey: '' };

// The world the page was loaded for, read once: the server rewrites the HTML's links but not
// this script, so the prefix is added here. Only an id the server accepts is taken.
const WORLD = (() => {
  const m = /^\/worlds\/([a-z0-9][a-z0-9-]{0,62})(?:\/|$)/.exec(location.pathname);
  return m ? { id: m[1], base: `/worlds/${m[1]}` } : { id: '', base: '' };
})();
function controlRoomUrl(id) { return id ? `/worlds/${encodeURIComponent(id)}/__admin/ui` : '/__admin/ui'; }

// ---- small helpers -------------------------------------------------------------------------
function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || (v === false && !k.startsWith('data-'))) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// Rows are replaced only when they changed: no flicker, a selection survives the polling.
const shown = new WeakMap();
function replaceRows(tbody, rows) {
  const html = rows.map((r) => r.outerHTML).join('');
  if (shown.get(tbody) === html) return;
  shown.set(tbody, html);
  tbody.replaceChildren(...rows);
}

// A call of this page's world (`path` is /__admin/…); apiAt('', …) for the process-wide ones.
function api(method, path, body) { return apiAt(WORLD.base, method, path, body); }

async function apiAt(base, method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(base + path, opts);
  let json = null;
  try { json = await res.json(); } catch (_) { json = null; }
  if (!res.ok) {
    const msg = json && (json.error_description || json.error) ? `${json.error}: ${json.error_description || ''}` : `HTTP ${res.status}`;
    const err = new Error(msg);
    err.status = res.status;
    err.code = json && typeof json.error === 'string' ? json.error : '';
    throw err;
  }
  return json;
}

// Instants on the wire are ISO-8601 with an offset; shown in JST.
function jstParts(iso) {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  const d = new Date(t + JST_OFFSET_MS);
  const p = (n) => String(n).padStart(2, '0');
  return { date: `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`, time: `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`,
           seconds: p(d.getUTCSeconds()), millis: String(d.getUTCMilliseconds()).padStart(3, '0'), weekday: '日月火水木金土'[d.getUTCDay()] };
}
// To the second, for what happens within a minute (the journal, the arrows of a flow);
// milliseconds when not zero, as the API writes them.
function jstSeconds(iso) {
  if (!iso) return '—';
  const p = jstParts(iso);
  return p ? `${p.date}(${p.weekday}) ${p.time}:${p.seconds}${p.millis !== '000' ? '.' + p.millis : ''}` : String(iso);
}
function jst(iso) {
  if (!iso) return '—';
  const p = jstParts(iso);
  return p ? `${p.date}(${p.weekday}) ${p.time}` : String(iso);
}
function showError(id, err) { $(id).textContent = err ? String(err.message || err) : ''; }
function setConnection(ok, text) {
  const c = $('conn');
  c.textContent = text;
  c.classList.toggle('bad', !ok);
}

// ---- clock ---------------------------------------------------------------------------------
async function refreshClock() {
  const c = await api('GET', '/__admin/clock');
  const changed = !state.clock || state.clock.now.slice(0, 16) !== c.now.slice(0, 16);
  state.clock = c;
  $('header-now').textContent = `仮想時刻 ${jst(c.now)}`;
  document.querySelector('[data-testid=clock-now]').textContent = jst(c.now);
  document.querySelector('[data-testid=clock-mode]').textContent =
      c.frozen ? '停止中（frozen）' : c.speed === 1 ? '実時間で進行中' : `速度 ${c.speed} 倍で進行中`;
  if (document.activeElement !== $('clock-input') && changed) {
    const p = jstParts(c.now);
    if (p) $('clock-input').value = `${p.date}T${p.time}`;
  }
  return changed;
}

async function clockCall(method, path, body) {
  showError('clock-error', null);
  try {
    await api(method, path, body);
    await refreshAll(true);
  } catch (e) { showError('clock-error', e); }
}

function wireClock() {
  $('clock-set').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = $('clock-input').value;  // YYYY-MM-DDTHH:MM in JST
    if (!v) return showError('clock-error', '日時を入力してください。');
    clockCall('PUT', '/__admin/clock', { now: `${v.length === 16 ? v + ':00' : v}+09:00` });
  });
  $('clock-advance').addEventListener('submit', (ev) => {
    ev.preventDefault();
    clockCall('POST', '/__admin/clock/advance', { by: $('advance-by').value.trim() });
  });
  $('clock-freeze').addEventListener('click', () => clockCall('PUT', '/__admin/clock', { frozen: true }));
  $('clock-run').addEventListener('click', () => clockCall('PUT', '/__admin/clock', { frozen: false }));
  $('clock-speed-set').addEventListener('click', () => clockCall('PUT', '/__admin/clock', { speed: Number($('clock-speed').value) }));
  // The server's wall clock, not the browser's (which may be off, or in another machine).
  $('clock-wall').addEventListener('click', () => clockCall('POST', '/__admin/clock/wall'));
}

// ---- availability now ----------------------------------------------------------------------
async function refreshAvailability() {
  const a = await api('GET', '/__admin/availability');
  state.availability = a;
  replaceRows($('availability-body'), a.systems.map((s) => el('tr', { 'data-system': s.id, 'data-up': s.up },
    el('td', {}, el('strong', {}, s.name), el('br'), el('code', {}, s.id)),
    el('td', { class: s.up ? 'up' : 'down', 'data-testid': 'availability-state' }, s.up ? '稼働' : '停止'),
    el('td', { 'data-testid': 'availability-reason' }, s.reason ? s.reason.message : ''),
    el('td', {}, s.next_change ? jst(s.next_change) : '変化なし'))));
  const targets = $('fault-target');
  if (!targets.options.length) {
    for (const t of [['app', 'マイナポータル app'], ['sp', 'マイナポータル sp']]) targets.append(el('option', { value: t[0] }, t[1]));
    for (const s of a.systems) if (s.kind !== 'portal') targets.append(el('option', { value: s.id }, `${s.name}（${s.id}）`));
  }
}

// ---- timeline picture ----------------------------------------------------------------------
function timelineRange() {
  const days = Number($('timeline-span').value) || 7;
  const from = state.timelineFrom || (state.clock ? state.clock.now : new Date().toISOString());
  const to = new Date(new Date(from).getTime() + days * 86400000).toISOString();
  return { from, to, days };
}

// While the calendar follows the virtual now, its start field shows the virtual today.
function showTimelineStart() {
  const field = $('timeline-from');
  if (state.timelineFrom || !state.clock || document.activeElement === field) return;
  const p = jstParts(state.clock.now);
  if (p && field.value !== p.date) field.value = p.date;
}

async function refreshTimeline(force) {
  showTimelineStart();
  const r = timelineRange();
  const key = `${r.from}|${r.to}|${JSON.stringify(state.faults.filter((f) => f.kind === 'down'))}`;
  if (!force && key === state.timelineKey) return;
  state.timelineKey = key;
  const data = await api('GET', `/__admin/availability/timeline?from=${encodeURIComponent(r.from)}&to=${encodeURIComponent(r.to)}`);
  drawTimeline(data, r.days);
}

// Text widths as the chart's font draws them (a canvas measures without touching the page).
let measureCtx = null, measureFamily = '';
function textWidth(text, px) {
  if (!measureCtx) {
    measureCtx = document.createElement('canvas').getContext('2d');
    measureFamily = getComputedStyle($('timeline-chart')).fontFamily;
  }
  const font = `${px}px ${measureFamily}`;
  if (measureCtx.font !== font) measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

// A name in lines no wider than `max`: whole when it fits, else before its "（…）" when both
// parts fit, else greedily by character. Names are never cut.
function wrapName(name, max, px) {
  if (textWidth(name, px) <= max) return [name];
  const paren = name.indexOf('（');
  if (paren > 0 && textWidth(name.slice(0, paren), px) <= max && textWidth(name.slice(paren), px) <= max)
    return [name.slice(0, paren), name.slice(paren)];
  const lines = [''];
  for (const ch of name) {
    if (lines[lines.length - 1] && textWidth(lines[lines.length - 1] + ch, px) > max) lines.push('');
    lines[lines.length - 1] += ch;
  }
  return lines;
}

const FONT_PX = 11, LINE_H = 13, DAY_MS = 86400000, HOUR_MS = 3600000;

// Rows: the label column (desktop) or the name above its bar (narrow), each row as tall as its name.
function timelineLayout(data, width, narrow) {
  const longest = Math.max(...data.systems.map((s) => textWidth(s.name, FONT_PX)), 0);
  const labelW = narrow ? 4 : Math.min(Math.max(120, Math.ceil(longest) + 14), 250);
  const nameMax = narrow ? width - 12 : labelW - 10;
  const top = 48;  // below the date row and the hour (or holiday) row
  let y = top;
  const rows = data.systems.map((s) => {
    const lines = wrapName(s.name, nameMax, FONT_PX);
    const nameH = lines.length * LINE_H;
    const h = narrow ? nameH + 18 : Math.max(20, nameH + 7);
    const row = narrow ? { lines, textY: y + 12, barY: y + nameH + 3, barH: 12 }
                       : { lines, textY: y + (h - nameH) / 2 + 10, barY: y + 3, barH: h - 6 };
    y += h;
    return row;
  });
  return { labelW, rows, top, bottom: y };
}

// Day labels: the longest form that fits every labelled day, on every day or every 7th.
function dayLabelPlan(dayW) {
  const forms = [[1, 'full'], [1, 'short'], [7, 'full'], [7, 'short'], [14, 'short']];
  const sample = { full: '12-30(水)', short: '30(水)' };
  for (const [step, form] of forms) if (textWidth(sample[form], FONT_PX) + 8 <= dayW * step) return { step, form };
  return { step: 14, form: 'short' };
}

function dayLabel(p, form) {
  return form === 'full' ? `${p.date.slice(5)}(${p.weekday})` : `${Number(p.date.slice(8))}(${p.weekday})`;
}

// A label that must stay inside [lo, hi]: moved left at the right edge, dropped where it cannot fit.
function placeLabel(root, cls, x, y, text, lo, hi, attrs) {
  const w = textWidth(text, FONT_PX);
  const at = Math.min(Math.max(x, lo), hi - w);
  if (at < lo) return null;
  const node = svg('text', { class: cls, x: at, y, ...attrs }, text);
  root.append(node);
  return { from: at, to: at + w };
}

function drawTimelineHeader(root, data, days, g) {
  const { x, t0, t1, labelW, width, top, bottom } = g;
  const firstDay = new Date(`${jstParts(data.from).date}T00:00:00+09:00`).getTime();
  const plan = dayLabelPlan(x(t0 + DAY_MS) - x(t0));
  const holidays = new Map((data.days_off || []).filter((d) => d.holiday).map((d) => [d.date, d.name]));
  let taken = [];  // the date row's labels, left to right, so none overlaps the next
  for (let t = firstDay, i = 0; t < t1; t += DAY_MS, i++) {
    if (t >= t0) root.append(svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: top - 4, y2: bottom }));
    if (i % plan.step !== 0 && t >= t0) continue;
    const p = jstParts(new Date(t).toISOString());
    let text = dayLabel(p, plan.form);
    // The 1-day view has room for the holiday's name beside its date (the hour row is below).
    if (days <= 1 && holidays.has(p.date)) text += ` ${holidays.get(p.date)}`;
    const lo = Math.max(x(t) + 2, labelW + 2, taken.length ? taken[taken.length - 1].to + 6 : 0);
    const hi = Math.min(width - 2, x(Math.min(t + DAY_MS * plan.step, t1)) + (t + DAY_MS * plan.step >= t1 ? 0 : -2));
    const placed = placeLabel(root, 'tick', x(t) + 2, top - 28, text, lo, hi, { 'data-date': p.date });
    if (placed) taken.push(placed);
  }
  if (days <= 1) {  // every 3 hours, JST (3-hour boundaries are the same in UTC)
    taken = [];
    for (let t = Math.ceil(t0 / (3 * HOUR_MS)) * 3 * HOUR_MS; t < t1; t += 3 * HOUR_MS) {
      root.append(svg('line', { class: 'grid minor', x1: x(t), x2: x(t), y1: top - 4, y2: bottom }));
      const lo = Math.max(labelW + 2, taken.length ? taken[taken.length - 1].to + 6 : 0);
      const placed = placeLabel(root, 'tick hour', x(t) + 2, top - 11, `${(new Date(t + JST_OFFSET_MS)).getUTCHours()}:00`, lo, width - 2);
      if (placed) taken.push(placed);
    }
  } else {
    taken = [];
    for (const d of data.days_off || []) {
      if (!d.holiday) continue;
      const start = new Date(`${d.date}T00:00:00+09:00`).getTime();
      const lo = Math.max(x(start) + 2, labelW + 2, taken.length ? taken[taken.length - 1].to + 6 : 0);
      const placed = placeLabel(root, 'dayoff-label', x(start) + 2, top - 11, d.name, lo, Math.min(width - 2, x(start + DAY_MS)));
      if (placed) taken.push(placed);
    }
  }
}

function drawTimeline(data, days) {
  const box = $('timeline-chart');
  const narrow = box.clientWidth < 600;
  const width = Math.max(box.clientWidth || 800, 320);
  const { labelW, rows, top, bottom } = timelineLayout(data, width, narrow);
  const plotW = width - labelW - 8;
  const t0 = new Date(data.from).getTime(), t1 = new Date(data.to).getTime();
  const x = (t) => labelW + Math.max(0, Math.min(1, (t - t0) / (t1 - t0))) * plotW;
  const height = bottom + 8;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
                            'aria-label': '稼働カレンダー', 'data-testid': 'timeline-svg', 'data-label-width': labelW });
  // Weekends and holidays first, under the bars: a band over the day labels and a wash that
  // shows between the rows, so every bar keeps exactly its legend colour.
  for (const d of data.days_off || []) {
    const start = new Date(`${d.date}T00:00:00+09:00`).getTime();
    const a = x(start), w = Math.max(0, x(start + DAY_MS) - a);
    if (w <= 0) continue;
    const band = svg('rect', { class: 'dayoff-band', x: a, y: top - 6, width: w, height: 5, 'data-date': d.date });
    band.append(svg('title', {}, `${d.date} ${d.name}`));
    root.append(band);
    const wash = svg('rect', { class: 'dayoff', x: a, y: top, width: w, height: bottom - top, 'data-date': d.date });
    wash.append(svg('title', {}, `${d.date} ${d.name}`));
    root.append(wash);
  }
  drawTimelineHeader(root, data, days, { x, t0, t1, labelW, width, top, bottom });
  data.systems.forEach((s, i) => drawTimelineRow(root, s, rows[i], x, t0, t1, data));
  const now = new Date(state.clock ? state.clock.now : data.now).getTime();
  if (now >= t0 && now <= t1)
    root.append(svg('line', { class: 'nowline', x1: x(now), x2: x(now), y1: top - 4, y2: height - 4, 'data-testid': 'timeline-now' }));
  box.replaceChildren(root);
}

function drawTimelineRow(root, s, row, x, t0, t1, data) {
  const label = svg('text', { class: 'label', x: 4, y: row.textY, 'data-system': s.system });
  row.lines.forEach((line, i) => label.append(svg('tspan', { x: 4, dy: i ? LINE_H : 0 }, line)));
  label.append(svg('title', {}, `${s.name}（${s.system}）`));
  root.append(label);
  for (const w of s.windows) {
    const a = new Date(w.from).getTime(), b = new Date(w.until).getTime();
    const code = w.up ? 'up' : (w.reason && w.reason.code) || 'down';
    const rect = svg('rect', { class: `w-${code}`, x: x(a), y: row.barY, width: Math.max(0.5, x(b) - x(a)), height: row.barH,
                               'data-system': s.system, 'data-up': w.up, 'data-reason': code });
    rect.append(svg('title', {}, `${s.name}: ${w.up ? '稼働' : '停止'} ${jst(w.from)} – ${jst(w.until)}${w.reason && !w.up ? '\n' + w.reason.message : ''}`));
    root.append(rect);
  }
  // Forced-down faults over the calendar: from now until they revert (or the end of the range),
  // in the legend's colour — the system is down then, whatever its calendar says.
  for (const f of state.faults.filter((f) => f.kind === 'down' && f.target === s.system)) {
    const a = Math.max(t0, new Date(state.clock ? state.clock.now : data.now).getTime());
    const b = f.until ? Math.min(t1, new Date(f.until).getTime()) : t1;
    if (b <= a) continue;
    const rect = svg('rect', { class: 'forced', x: x(a), y: row.barY - 2, width: x(b) - x(a), height: row.barH + 4,
                               'data-system': s.system, 'data-fault': f.id });
    rect.append(svg('title', {}, `障害注入 ${f.id}: 強制停止${f.until ? '（' + jst(f.until) + ' まで）' : ''}`));
    root.append(rect);
  }
}

function wireTimeline() {
  $('timeline-range').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = $('timeline-from').value;
    state.timelineFrom = d ? new Date(`${d}T00:00:00+09:00`).toISOString() : null;
    refreshTimeline(true).catch(() => {});
  });
  $('timeline-span').addEventListener('change', () => refreshTimeline(true).catch(() => {}));
  $('timeline-now').addEventListener('click', () => {
    state.timelineFrom = null;
    refreshTimeline(true).catch(() => {});
  });
  let resize;
  window.addEventListener('resize', () => { clearTimeout(resize); resize = setTimeout(() => refreshTimeline(true).catch(() => {}), 200); });
}

// ---- faults and scenarios ------------------------------------------------------------------
async function refreshFaults() {
  const j = await api('GET', '/__admin/faults');
  state.faults = j.faults || [];
  replaceRows($('faults-body'), state.faults.map((f) => {
    const narrowing = ['endpoint', 'client_id', 'persona', 'telegram_id'].filter((k) => f[k]).map((k) => `${k}=${f[k]}`).join(' ');
    const left = [f.remaining !== undefined && f.remaining !== null ? `あと ${f.remaining} 回` : '',
                  f.until ? `${jst(f.until)} まで` : ''].filter(Boolean).join('、') || '解除まで';
    return el('tr', { 'data-fault': f.id },
      el('td', {}, el('code', { 'data-testid': 'fault-row-id' }, f.id)),
      el('td', {}, f.kind, f.error_code ? el('small', {}, ` ${f.error_code}`) : null),
      el('td', {}, f.target),
      el('td', {}, narrowing || 'すべて', f.probability !== undefined && f.probability < 1 ? ` p=${f.probability}` : ''),
      el('td', { 'data-testid': 'fault-remaining' }, left),
      el('td', {}, el('button', { type: 'button', class: 'danger', 'data-testid': 'fault-remove',
                                  onclick: () => removeFault(f.id) }, '解除')));
  }));
  if (!state.faults.length) replaceRows($('faults-body'), [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, '有効な障害はありません。'))]);
}

async function removeFault(id) {
  try {
    await api('DELETE', `/__admin/faults/${encodeURIComponent(id)}`);
  } catch (e) { showError('fault-error', e); }
  await refreshAll(true);
}

function faultFromForm(form) {
  const f = {};
  for (const [k, v] of new FormData(form).entries()) {
    const value = String(v).trim();
    if (!value) continue;
    if (['status', 'count', 'probability', 'latency_ms', 'delay_ms', 'limit'].includes(k)) f[k] = Number(value);
    else f[k] = value;
  }
  return f;
}

function wireFaults() {
  $('fault-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError('fault-error', null);
    try {
      await api('POST', '/__admin/faults', faultFromForm(ev.target));
      await refreshAll(true);
    } catch (e) { showError('fault-error', e); }
  });
  $('faults-clear').addEventListener('click', async () => {
    try { await api('DELETE', '/__admin/faults'); } catch (e) { showError('fault-error', e); }
    await refreshAll(true);
  });
  $('scenario-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError('scenario-error', null);
    try {
      await api('POST', '/__admin/scenarios', { file: $('scenario-file').value });
      await refreshAll(true);
    } catch (e) { showError('scenario-error', e); }
  });
  $('scenario-stop').addEventListener('click', async () => {
    try { await api('DELETE', '/__admin/scenarios'); } catch (e) { showError('scenario-error', e); }
    await refreshAll(true);
  });
}

async function refreshScenario() {
  const s = await api('GET', '/__admin/scenarios');
  const select = $('scenario-file');
  const names = (s.available || []).join('|');
  if (select.dataset.names !== names) {
    select.dataset.names = names;
    select.replaceChildren(...(s.available || []).map((n) => el('option', { value: n }, n)));
  }
  const box = $('scenario-status');
  if (!s.scenario) return box.replaceChildren(el('p', { class: 'muted' }, 'シナリオは動いていません。'));
  const steps = el('ol', {}, ...s.steps.map((st, i) => el('li', { class: st.applied ? 'applied' : i === s.current_step ? 'next' : '' },
    `${jst(st.at)} ${st.note || ''}${st.applied ? '（適用済み）' : ''}`)));
  const log = el('ul', {}, ...(s.log || []).slice(-10).map((l) => el('li', {}, typeof l === 'string' ? l : JSON.stringify(l))));
  box.replaceChildren(el('p', {}, el('strong', { 'data-testid': 'scenario-name' }, s.scenario), ` — ${s.description || ''}`), steps,
                      el('p', {}, 'ログ'), log);
}

// ---- flows and their sequence diagrams -----------------------------------------------------
async function refreshFlows() {
  const j = await api('GET', '/__admin/processes?limit=30');
  replaceRows($('flows-body'), j.processes.map((p) => el('tr', {
      class: `clickable${state.selectedProcess === p.process_id ? ' selected' : ''}`, 'data-process': p.process_id,
      'data-testid': 'flow-row', onclick: () => openFlow(p.process_id) },
    el('td', {}, el('code', {}, p.process_id)), el('td', {}, p.client_id), el('td', {}, p.persona),
    el('td', { class: p.error_key ? 'down' : p.ready ? 'up' : '' },
       p.ready ? (p.error_key ? `${p.error_code || p.error_key}` : '完了') : '処理中', p.expired ? '（期限切れ）' : ''),
    el('td', {}, String(p.notifications)), el('td', {}, jst(p.created)))));
  if (!j.processes.length) replaceRows($('flows-body'), [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'まだ要求はありません。'))]);
  if (state.selectedProcess) await openFlow(state.selectedProcess, true);
}

function errorCodeOf(body) {
  if (!body) return '';
  try {
    const j = JSON.parse(body);
    const h = j.commonHeader || {};
    return h.errorCode || j.errorCode || j.error || '';
  } catch (_) {
    const m = /"errorCode"\s*:\s*"([^"]+)"/.exec(body);
    return m ? m[1] : '';
  }
}

// Who the hop came from and went to, in the lanes of the diagram.
function lanesOf(e, systems) {
  const kind = (systems[e.system] || {}).kind;
  if (e.direction === 'out') return ['portal', 'user', 'IF001-05 通知'];
  if (e.listener === 'sp' || e.listener === 'app') {
    const label = e.path.includes('result') ? 'IF001-06 結果' : e.path.includes('request') ? 'IF001-04 要求' : e.path;
    return ['user', 'portal', label];
  }
  if (kind === 'network' || e.system === 'network') return ['portal', e.system, '照会'];
  return ['network', e.system, kind === 'juki' || e.system === 'juki' ? '本人特定' : '中間サーバ照会'];
}

// Arrows in the order the exchanges began: the virtual instant, then the start ticket for those
// begun at the same instant (a frozen clock). Not the journal's order, which is when each ended:
// an IF001-05 attempt that waits for its answer ends after the IF001-06 polls made meanwhile.
function byStart(a, b) {
  const at = (e) => Date.parse(e.started || e.at);
  return at(a) - at(b) || (a.start_seq || 0) - (b.start_seq || 0) || a.seq - b.seq;
}

async function openFlow(processId, quiet) {
  state.selectedProcess = processId;
  for (const tr of document.querySelectorAll('#flows-body tr')) tr.classList.toggle('selected', tr.dataset.process === processId);
  try {
    const p = await api('GET', `/__admin/processes/${encodeURIComponent(processId)}`);
    const q = (params) => api('GET', `/__admin/requests?${new URLSearchParams({ ...params, limit: '500' })}`);
    const [byProcess, byTelegram] = await Promise.all([q({ process_id: processId }),
      q({ telegram_id: p.telegram_id, client_id: p.client_id })]);
    const seen = new Map();
    for (const e of [...(byProcess.requests || []), ...(byTelegram.requests || [])]) seen.set(e.seq, e);
    const systems = {};
    for (const s of (state.availability ? state.availability.systems : [])) systems[s.id] = s;
    const hops = [...seen.values()].sort(byStart);
    drawSequence(p, hops, systems);
  } catch (e) {
    if (!quiet) $('sequence').replaceChildren(el('p', { class: 'error' }, String(e.message || e)));
  }
}

function drawSequence(p, hops, systems) {
  const laneIds = ['user', 'portal', 'network', 'juki'];
  for (const h of hops) if (!laneIds.includes(h.system) && h.listener === 'systems') laneIds.push(h.system);
  const names = { user: 'API利用者', portal: 'マイナポータル' };
  const laneName = (id) => names[id] || (systems[id] ? systems[id].name : id);
  const box = $('sequence');
  const laneW = Math.max(110, Math.min(170, ((box.clientWidth || 900) - 20) / laneIds.length));
  const fit = Math.max(4, Math.floor((laneW - 14) / 12));
  // A lane's name on up to three lines of at most `fit` characters and near-equal length
  // (情報提供ネット / ワークシステム; 19 characters: 7, 6, 6), 住民基本台帳ネットワークシステム whole at
  // the narrowest lane; only a longer name ends in "…", its full name in the tooltip.
  const wrap = (name) => {
    if (name.length > 3 * fit) return [name.slice(0, fit), name.slice(fit, 2 * fit), `${name.slice(2 * fit, 3 * fit - 1)}…`];
    const n = Math.ceil(name.length / fit), base = Math.floor(name.length / n), lines = [];
    for (let i = 0, at = 0; i < n; ++i) {
      const len = base + (i < name.length % n ? 1 : 0);
      lines.push(name.slice(at, at + len));
      at += len;
    }
    return lines;
  };
  const heads = laneIds.map((id) => wrap(laneName(id)));
  const headH = 14 * Math.max(...heads.map((l) => l.length)) + 16;
  const top = headH + 16, rowH = 38;
  // Room on the right for the last arrows' labels.
  const width = laneIds.length * laneW + 220, height = top + (hops.length + 1) * rowH + 10;
  const cx = (id) => 10 + laneIds.indexOf(id) * laneW + laneW / 2;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
                            'aria-label': `processId ${p.process_id} のシーケンス`, 'data-testid': 'sequence-svg' });
  root.append(svg('defs', {}));
  const marker = svg('marker', { id: 'arrowhead', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' });
  marker.append(svg('path', { d: 'M0,0 L8,4 L0,8 z' }));
  root.firstChild.append(marker);
  laneIds.forEach((id, lane) => {
    root.append(svg('rect', { class: 'lane-head', x: cx(id) - laneW / 2 + 4, y: 4, width: laneW - 8, height: headH,
                              rx: 4, 'data-lane': id }));
    const name = laneName(id), lines = heads[lane];
    const first = 4 + (headH - 14 * lines.length) / 2 + 11;
    const head = svg('text', { class: 'label', x: cx(id), y: first, 'text-anchor': 'middle', 'data-lane': id,
                               'data-name': name, 'data-fit': fit });
    lines.forEach((line, i) => head.append(svg('tspan', { x: cx(id), y: first + 14 * i }, line)));
    head.append(svg('title', {}, `${name}（${id}）`));
    root.append(head);
    root.append(svg('line', { class: 'lane', x1: cx(id), x2: cx(id), y1: 4 + headH, y2: height - 6 }));
  });
  hops.forEach((h, i) => {
    const [from, to, label] = lanesOf(h, systems);
    const y = top + i * rowH + 22;
    const failed = h.status === 0 || h.status >= 400;
    const code = errorCodeOf(h.response_body);
    const faults = (h.faults || []).join(',');
    const g = svg('g', { 'data-testid': 'sequence-hop', 'data-system': h.system, 'data-status': h.status,
                         'data-direction': h.direction, 'data-faults': faults || null, 'data-error-code': code || null,
                         'data-path': h.path, 'data-started': h.started || h.at, 'data-start-seq': h.start_seq || 0 });
    const x1 = cx(laneIds.includes(from) ? from : 'portal'), x2 = cx(laneIds.includes(to) ? to : 'portal');
    g.append(svg('line', { class: `arrow${failed ? ' failed' : ''}${h.direction === 'out' ? ' out' : ''}`,
                           x1, x2: x2 + (x2 > x1 ? -3 : 3), y1: y, y2: y, 'marker-end': 'url(#arrowhead)' }));
    const text = `${label} ${h.status || 'ERR'} · ${Number(h.latency_ms).toFixed(1)} ms${code ? ' · ' + code : ''}${faults ? ' · 障害 ' + faults : ''}`;
    g.append(svg('text', { class: `arrow-label${failed || faults ? ' failed' : ''}`, x: Math.min(x1, x2) + 6, y: y - 5 }, text));
    g.append(svg('title', {}, `${h.method} ${h.url || h.path}\n#${h.seq} 開始 ${jstSeconds(h.started || h.at)} 終了 ${jstSeconds(h.at)}${h.node ? ' node ' + h.node : ''}`));
    root.append(g);
  });
  const y = top + hops.length * rowH + 22;
  root.append(svg('text', { class: 'label', x: 14, y, 'data-testid': 'sequence-result' },
    `結果: ${p.ready ? (p.error_key ? (p.error_key + ' ') : '完了 ') : '処理中 '}${(p.provider_status || []).map((s) => `${s.system || s.holder || ''}:${s.status || ''}`).join(' ')}`));
  const head = el('p', {}, 'processId ', el('code', {}, p.process_id), ` — ${p.client_id} / ${p.persona} / telegramId `,
                  el('code', {}, p.telegram_id));
  const html = head.outerHTML + root.outerHTML;
  if (shown.get(box) === html) return;
  shown.set(box, html);
  box.replaceChildren(head, root);
}

// ---- conformance lint ----------------------------------------------------------------------
async function refreshLintClients() {
  const select = $('lint-client');
  if (select.options.length) return;
  const j = await api('GET', '/__admin/services');
  for (const s of j.services || []) select.append(el('option', { value: s.client_id }, `${s.client_id} ${s.name}`));
}

// A finding's `key` in Japanese, then in English: `key_ja`, `key_en` (`key` from an older
// server), each once.
function bothLanguages(f, key) {
  const ja = f[`${key}_ja`] || '', en = f[`${key}_en`] || f[key] || '';
  return [ja, en !== ja ? en : ''].filter((t) => t);
}

async function runLint() {
  const id = $('lint-client').value;
  if (!id) return;
  const j = await api('GET', `/__admin/lint?client_id=${encodeURIComponent(id)}`);
  const rows = j.findings.map((f) => el('tr', { 'data-rule': f.rule, 'data-testid': 'lint-finding' },
    el('td', {}, el('code', {}, f.rule)),
    el('td', { class: f.severity === 'error' ? 'down' : '' }, f.severity),
    el('td', {}, f.title_ja, el('br'), el('small', {}, f.title_en),
       ...bothLanguages(f, 'detail').flatMap((t) => [el('br'), el('small', {}, t)])),
    el('td', { 'data-testid': 'lint-remedy' },
       ...bothLanguages(f, 'remedy').flatMap((t, i) => (i ? [el('br'), el('small', {}, t)] : [t]))),
    el('td', {}, f.evidence.map((e) => `#${e.seq}`).join(' '),
       f.evidence_omitted ? el('small', {}, ` ほか ${f.evidence_omitted} 件 / ${f.evidence_omitted} more`) : null)));
  replaceRows($('lint-body'), rows.length ? rows
    : [el('tr', {}, el('td', { colspan: 5, class: 'muted' }, `指摘はありません（ジャーナル ${j.entries_read} 件を確認）。`))]);
}

// ---- journal -------------------------------------------------------------------------------
async function refreshJournal() {
  if (!$('journal-live').checked) return;
  const params = new URLSearchParams({ limit: '100', bodies: '0' });
  for (const [k, v] of new FormData($('journal-filter')).entries()) if (String(v).trim()) params.set(k, String(v).trim());
  const j = await api('GET', `/__admin/requests?${params}`);
  replaceRows($('journal-body'), (j.requests || []).slice().reverse().map((e) => el('tr', { 'data-seq': e.seq },
    el('td', {}, String(e.seq)), el('td', { class: 'time', 'data-testid': 'journal-time', title: `開始 ${jstSeconds(e.started || e.at)}` }, jstSeconds(e.at)),
    el('td', {}, e.system, e.node ? el('small', {}, ` @${e.node}`) : null),
    el('td', {}, `${e.direction === 'out' ? '→ ' : ''}${e.method} `, el('code', {}, e.url || e.path)),
    el('td', { class: e.status >= 400 || e.status === 0 ? 'down' : '' }, String(e.status)),
    el('td', {}, Number(e.latency_ms).toFixed(1)), el('td', {}, e.client_id || ''), el('td', {}, (e.faults || []).join(',')))));
}

// ---- personas and cards --------------------------------------------------------------------
async function refreshPersonas() {
  const j = await api('GET', '/__admin/personas');
  const list = j.personas.slice(0, 200);
  replaceRows($('personas-body'), list.map((p) => el('tr', { 'data-persona': p.id, 'data-serial': p.card_serial },
    el('td', {}, el('strong', { 'data-testid': 'persona-name' }, p.name), el('br'), el('code', {}, p.id),
       p.note ? el('small', {}, ` ${p.note}`) : null),
    el('td', {}, el('code', {}, p.card_serial)),
    el('td', { class: p.locked ? 'down' : '', 'data-testid': 'card-tries' }, p.locked ? 'ロック（0回）' : `${p.pin_tries_left} 回`),
    el('td', { class: p.certificate === 'valid' ? '' : 'down' }, { valid: '有効', expired: '期限切れ', revoked: '失効' }[p.certificate] || p.certificate),
    el('td', {}, el('button', { type: 'button', 'data-testid': 'card-reset', onclick: () => resetCard(p.card_serial) }, 'カードを戻す'), ' ',
       el('button', { type: 'button', onclick: () => showAccess(p.id) }, '提供記録')))));
}

async function resetCard(serial) {
  try { await api('POST', `/__admin/cards/${encodeURIComponent(serial)}/reset`); } catch (e) { alert(e.message); }
  await refreshPersonas();
}

async function showAccess(id) {
  const j = await api('GET', `/__admin/personas/${encodeURIComponent(id)}/access-records`);
  const box = $('access-records');
  const rows = j.access_records.map((a) => el('li', {}, `${jst(a.at)} ${a.service} (${a.client_id}) ${a.outcome} — ${a.items.join('、')}`));
  box.replaceChildren(el('h3', {}, `提供記録: ${id}`), rows.length ? el('ul', {}, ...rows) : el('p', { class: 'muted' }, '記録はありません。'));
}

// ---- worlds --------------------------------------------------------------------------------
// The list is process-wide (unprefixed). A world token may not read it (401/403): then the page
// names its world and offers no others.
async function refreshWorlds() {
  const picker = $('world-picker');
  let j;
  try {
    j = await apiAt('', 'GET', '/__admin/worlds');
  } catch (e) {
    if (e.status === 401 || e.status === 403) picker.hidden = true;
    return;
  }
  const ids = ['', ...(Array.isArray(j.worlds) ? j.worlds : []).map((w) => String(w.id))];
  if (WORLD.id && !ids.includes(WORLD.id)) ids.push(WORLD.id);  // gone meanwhile: still say where we are
  const key = ids.join('|');
  if (picker.dataset.ids !== key) {
    picker.dataset.ids = key;
    // The default world has no id; a named world may be called "default" too.
    picker.replaceChildren(...ids.map((id) => el('option', { value: id }, id === '' ? 'default' : id === 'default' ? `${id}（/worlds/${id}）` : id)));
  }
  picker.value = WORLD.id;
  picker.hidden = false;
}

function wireWorlds() {
  $('world-name').textContent = WORLD.id || 'default';
  if (WORLD.id) document.title = `${document.title} — ${WORLD.id}`;
  const picker = $('world-picker');
  picker.addEventListener('focus', () => refreshWorlds().catch(() => {}));
  picker.addEventListener('change', () => {
    if (picker.value !== WORLD.id) location.assign(controlRoomUrl(picker.value));
  });
  refreshWorlds().catch(() => {});
}

// ---- the refresh loop ----------------------------------------------------------------------
let refreshing = null;
async function refreshAll(force) {
  if (refreshing && !force) return refreshing;
  refreshing = (async () => {
    try {
      const clockMoved = await refreshClock();
      await Promise.all([refreshAvailability(), refreshFaults(), refreshScenario()]);
      await Promise.all([refreshTimeline(force || clockMoved), refreshFlows(), refreshJournal(), refreshPersonas()]);
      setConnection(true, `更新 ${new Date().toLocaleTimeString('ja-JP')}`);
    } catch (e) {
      setConnection(false, e.status === 401 ? '管理トークンが必要です（再読み込みしてください）'
        : e.code === 'unknown_world' ? `ワールド ${WORLD.id} はありません（削除されたか期限切れです）` : `接続できません: ${e.message}`);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

document.addEventListener('DOMContentLoaded', () => {
  wireWorlds();
  wireClock();
  wireTimeline();
  wireFaults();
  $('journal-filter').addEventListener('input', () => refreshJournal().catch(() => {}));
  $('lint-form').addEventListener('submit', (ev) => { ev.preventDefault(); runLint().catch(() => {}); });
  refreshLintClients().catch(() => {});
  $('cards-reset-all').addEventListener('click', async () => {
    try { await api('POST', '/__admin/cards/reset'); } catch (e) { alert(e.message); }
    await refreshPersonas();
  });
  refreshAll(true);
  setInterval(() => { if (!document.hidden) refreshAll(false); }, POLL_MS);
});

// SPDX-License-Identifier: Apache-2.0
// The control room, the landing page and the portal screens in a real browser (Debian's
// chromium, headless, driven by playwright-core). Started by the integration test
// BrowserControlRoom.*, which runs mynasim on port 0 and an API user's endpoint, and passes:
//   --app URL --admin URL --sp URL --ca FILE --client-id ID --redirect-uri URL --out DIR
// Exits 0 when every check passed; prints one line per step. Screenshots of every section,
// desktop and 390 px wide, go to --out.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
for (const k of ['app', 'admin', 'sp', 'ca', 'client-id', 'redirect-uri', 'out'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
fs.mkdirSync(args.out, { recursive: true });
const ca = fs.readFileSync(args.ca);
const STEP_TIMEOUT = 15000;

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what}`);
}

// The API user's server-side calls (token, IF001-04, IF001-06) over TLS with the dev CA.
function post(url, body, headers) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'Content-Length': Buffer.byteLength(body), ...headers },
                                     timeout: 10000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function admin(method, p, body) {
  const res = await fetch(args.admin + p, { method, headers: body ? { 'Content-Type': 'application/json' } : {},
                                            body: body ? JSON.stringify(body) : undefined });
  return res.json();
}

async function shoot(page, name) {
  await page.screenshot({ path: path.join(args.out, `${name}.png`), fullPage: false });
}

const SECTIONS = ['clock', 'availability', 'timeline', 'faults', 'flows', 'lint', 'journal', 'personas'];
async function shootSections(page, suffix, ids = SECTIONS) {
  for (const id of ids) {
    const section = page.locator(`#${id}`);
    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: path.join(args.out, `control-room-${id}-${suffix}.png`) });
  }
}

// Script errors and failed answers of a page go to pageErrors, but for those `expected` allows.
function watch(page, label, expected = () => false) {
  page.on('pageerror', (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`${label} console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected(r)) pageErrors.push(`${label}: ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
}

// The JST calendar date of an instant on the wire.
function jstDate(iso) { return new Date(Date.parse(iso) + 9 * 3600 * 1000).toISOString().slice(0, 10); }

// What is wrong with the availability calendar as drawn: a system name cut or outside its
// column, a date or hour label outside the chart or over another, a bar painted in a colour the
// legend does not have, or anything translucent painted over the bars (issue 30, item 13).
async function calendarProblems(page) {
  const names = Object.fromEntries((await admin('GET', '/__admin/availability')).systems.map((s) => [s.id, s.name]));
  return page.evaluate((names) => {
    const chart = document.querySelector('[data-testid=timeline-svg]');
    const width = Number(chart.getAttribute('width')), labelW = Number(chart.dataset.labelWidth || 0);
    const problems = [];
    const narrow = labelW < 20;  // names above their bars
    for (const t of chart.querySelectorAll('text.label')) {
      const shown = [...t.childNodes].filter((n) => n.nodeName !== 'title').map((n) => n.textContent).join('');
      const name = names[t.dataset.system];
      if (shown !== name) problems.push(`name shown as "${shown}", not "${name}"`);
      const b = t.getBBox();
      if (b.x < 0 || b.x + b.width > (narrow ? width : labelW) + 0.5) problems.push(`name "${name}" outside its column`);
    }
    const heads = [...chart.querySelectorAll('text.tick, text.dayoff-label')].map((t) => ({ text: t.textContent, b: t.getBBox() }));
    for (const h of heads)
      if (h.b.x < labelW - 0.5 || h.b.x + h.b.width > width + 0.5) problems.push(`label "${h.text}" outside the chart (${Math.round(h.b.x)}…${Math.round(h.b.x + h.b.width)} of ${width})`);
    heads.forEach((a, i) => heads.slice(i + 1).forEach((c) => {
      if (a.b.x < c.b.x + c.b.width - 0.5 && c.b.x < a.b.x + a.b.width - 0.5 && a.b.y < c.b.y + c.b.height - 0.5 && c.b.y < a.b.y + a.b.height - 0.5)
        problems.push(`labels "${a.text}" and "${c.text}" overlap`);
    }));
    const legend = new Set([...document.querySelectorAll('.legend .key')].map((k) => getComputedStyle(k).backgroundColor));
    const bars = [...chart.querySelectorAll('rect[data-up]')];
    for (const r of bars)
      if (!legend.has(getComputedStyle(r).fill)) problems.push(`a ${r.dataset.reason} bar in ${getComputedStyle(r).fill}, not in the legend`);
    for (const r of chart.querySelectorAll('rect:not([data-up])')) {
      if (!bars.length || !(bars[0].compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
      const cs = getComputedStyle(r);
      if (Number(cs.fillOpacity) < 1 || Number(cs.opacity) < 1 || !legend.has(cs.fill))
        problems.push(`${r.getAttribute('class')} painted over the bars in ${cs.fill} at opacity ${cs.fillOpacity}`);
    }
    if (!bars.length) problems.push('no bars');
    return problems;
  }, names);
}

// The sequence diagram's lane heads: every name whole (on up to three lines; a longer one cut
// with "…" after three full lines) and inside its box.
async function checkLaneHeads(page, where) {
  const heads = await page.locator('[data-testid=sequence-svg] text[data-lane]').evaluateAll((ts) => ts.map((t) => {
    const rect = t.ownerSVGElement.querySelector(`rect.lane-head[data-lane="${t.dataset.lane}"]`).getBBox();
    const box = t.getBBox();
    return { name: t.dataset.name, fit: Number(t.dataset.fit),
             shown: [...t.querySelectorAll('tspan')].map((s) => s.textContent).join(''),
             inside: box.x >= rect.x - 0.5 && box.x + box.width <= rect.x + rect.width + 0.5 &&
                     box.y >= rect.y - 0.5 && box.y + box.height <= rect.y + rect.height + 0.5 };
  }));
  const longer = (h) => h.name.length > 3 * h.fit && h.shown === `${h.name.slice(0, 3 * h.fit - 1)}…`;
  const cut = heads.filter((h) => h.shown !== h.name && !longer(h)).map((h) => `${h.name} → ${h.shown}`);
  const out = heads.filter((h) => !h.inside).map((h) => h.name);
  check(heads.length >= 4 && heads.some((h) => h.name === '住民基本台帳ネットワークシステム') && !cut.length && !out.length,
        `sequence diagram (${where}): ${heads.length} lane names whole and inside their heads` +
        `${cut.length ? `; cut: ${cut.join('、')}` : ''}${out.length ? `; overflowing: ${out.join('、')}` : ''}`);
}

async function checkCalendar(page, what) {
  const problems = await calendarProblems(page);
  check(problems.length === 0, `calendar ${what}: names whole, labels inside and apart, bars in legend colours${problems.length ? ': ' + problems.slice(0, 6).join('; ') : ''}`);
}

// Lines a piece of text takes on screen (0 when not shown).
async function linesOf(page, selector, text) {
  return page.evaluate(([sel, want]) => [...document.querySelectorAll(sel)].filter((n) => n.textContent.trim() === want)
    .map((n) => { const r = document.createRange(); r.selectNodeContents(n); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; })
    .filter((n) => n > 0), [selector, text]);
}

async function createWorld(body) {
  const res = await fetch(`${args.admin}/__admin/worlds`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                            body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

// 8. Named worlds: a world's control room reads and sets that world only; the picker lists the
// worlds and moves between their control rooms; a world token's page names its world alone.
async function namedWorlds(context) {
  await admin('PUT', '/__admin/clock', { frozen: true });
  const defaultBefore = await admin('GET', '/__admin/clock');
  const a = await createWorld({ id: 'browser-a', clock: '2026-12-29T10:00:00+09:00' });
  check(a.status === 201 && a.json.id === 'browser-a' && /^[0-9a-f]{64}$/.test(a.json.token),
        `worlds: browser-a created through POST /__admin/worlds (${a.status})`);
  check(new URL(a.json.urls.control_room).pathname === '/worlds/browser-a/__admin/ui', `worlds: its control room ${a.json.urls.control_room}`);
  const page = await context.newPage();
  watch(page, 'world room');
  const paths = [];
  page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname.includes('/__admin')) paths.push(u.pathname); });
  await page.goto(`${args.admin}/worlds/browser-a/__admin/ui`);
  await page.getByTestId('world-name').filter({ hasText: 'browser-a' }).waitFor();
  check(await page.getByTestId('world-name').textContent() === 'browser-a', 'world room: the header names browser-a');
  await page.getByTestId('clock-now').filter({ hasText: '2026-12-29' }).waitFor();
  check(true, `world room: the clock panel reads the world's clock (${await page.getByTestId('clock-now').textContent()})`);
  await page.locator('#availability-body tr[data-system=juki][data-up=false]').waitFor();
  check(true, 'world room: 住基ネット down in the world\'s year end');
  const picker = page.getByTestId('world-picker');
  await picker.locator('option[value="browser-a"]').waitFor({ state: 'attached' });
  check(await picker.isVisible() && await picker.inputValue() === 'browser-a', 'world picker: shown, browser-a chosen');
  const labels = await picker.locator('option').allTextContents();
  check(labels.includes('default') && labels.includes('browser-a'), `world picker: lists ${labels.join(', ')}`);

  await page.getByTestId('clock-input').fill('2027-01-04T09:30');
  await page.getByTestId('clock-set').click();
  await page.getByTestId('clock-now').filter({ hasText: '2027-01-04' }).waitFor();
  const worldClock = await admin('GET', '/worlds/browser-a/__admin/clock');
  const set = Date.parse('2027-01-04T09:30:00+09:00'), got = Date.parse(worldClock.now);
  check(got >= set && got < set + 3600000, `world room: clock set through the UI, the world's clock reads ${worldClock.now}`);
  const defaultAfter = await admin('GET', '/__admin/clock');
  check(defaultAfter.now === defaultBefore.now && defaultAfter.frozen === true,
        `default world's clock unchanged (${defaultBefore.now} → ${defaultAfter.now})`);
  const strays = paths.filter((p) => !p.startsWith('/worlds/browser-a/__admin/') && p !== '/__admin/worlds');
  check(paths.includes('/worlds/browser-a/__admin/ui/control-room.js') && paths.includes('/worlds/browser-a/__admin/clock') &&
        strays.length === 0, `world room: ${paths.length} admin requests, all in /worlds/browser-a but the worlds list${strays.length ? ': ' + strays.join(' ') : ''}`);

  await pickWorld(page, picker, defaultBefore);
  await worldTokenPage(context, a.json.token);
  for (const id of ['browser-a', 'browser-b']) await fetch(`${args.admin}/__admin/worlds/${id}`, { method: 'DELETE' });
  await page.close();
}

// The picker: a world created after the page loaded shows when it gets focus; choosing one
// opens its control room, choosing default the default world's.
async function pickWorld(page, picker, defaultClock) {
  const b = await createWorld({ id: 'browser-b' });
  check(b.status === 201, 'worlds: browser-b created after the page loaded');
  await picker.focus();
  await picker.locator('option[value="browser-b"]').waitFor({ state: 'attached' });
  check(true, 'world picker: refreshed on focus, lists browser-b');
  await picker.selectOption('browser-b');
  await page.waitForURL((u) => u.pathname === '/worlds/browser-b/__admin/ui');
  await page.getByTestId('world-name').filter({ hasText: 'browser-b' }).waitFor();
  await page.getByTestId('world-picker').locator('option[value="browser-b"]').waitFor({ state: 'attached' });
  check(await page.getByTestId('world-picker').inputValue() === 'browser-b', 'world picker: navigated to browser-b\'s control room');
  await page.getByTestId('world-picker').selectOption({ label: 'default' });
  await page.waitForURL((u) => u.pathname === '/__admin/ui');
  await page.getByTestId('world-name').filter({ hasText: 'default' }).waitFor();
  await page.getByTestId('clock-now').filter({ hasText: jstDate(defaultClock.now) }).waitFor();
  check(true, `world picker: back in the default world, its clock on ${jstDate(defaultClock.now)}`);
}

// Opened with a world token (Basic, as a browser sends it), the page reaches its world only:
// the process-wide list answers 403, so no picker — just the world's name.
async function worldTokenPage(context, token) {
  const scoped = await context.browser().newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP',
    extraHTTPHeaders: { Authorization: `Basic ${Buffer.from(`qa:${token}`).toString('base64')}` } });
  scoped.setDefaultTimeout(STEP_TIMEOUT);
  const page = await scoped.newPage();
  watch(page, 'world-token room', (r) => r.status() === 403 && new URL(r.url()).pathname === '/__admin/worlds');
  const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/__admin/worlds');
  await page.goto(`${args.admin}/worlds/browser-a/__admin/ui`);
  check((await refused).status() === 403, 'world token: GET /__admin/worlds refused (403)');
  await page.getByTestId('clock-now').filter({ hasText: '2027-01-04' }).waitFor();
  check(await page.getByTestId('world-name').textContent() === 'browser-a', 'world token: the header names browser-a');
  check(await page.getByTestId('world-picker').isHidden(), 'world token: no world picker');
  await shoot(page, 'control-room-world-token-desktop');
  await scoped.close();
}

const executablePath = process.env.MYNASIM_CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const pageErrors = [];
const state = { faultRefused: 0, cssFetched: 0 };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors: true, locale: 'ja-JP' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const room = await context.newPage();
  room.on('pageerror', (e) => pageErrors.push(`control room: ${e.message}`));
  // Failed loads are judged by their responses below; any other console error is a failure.
  room.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`control room console: ${m.text()}`);
  });
  room.on('response', (r) => {
    // The fault form's deliberate mistake is the one refusal expected.
    if (r.status() >= 400 && !(r.status() === 400 && r.url().endsWith('/__admin/faults') && r.request().method() === 'POST' && !state.faultRefused++))
      pageErrors.push(`control room: ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  const loaded = Date.now();
  await room.goto(`${args.admin}/__admin/ui`);
  await room.getByTestId('clock-now').filter({ hasText: /\d{4}-\d\d-\d\d/ }).waitFor();
  console.log(`# control room showed the clock ${Date.now() - loaded} ms after navigation`);

  // 1. The year end: 住基ネット down in the list and in the picture, with the reason.
  await room.getByTestId('clock-input').fill('2026-12-29T10:00');
  await room.getByTestId('clock-set').click();
  await room.getByTestId('clock-now').filter({ hasText: '2026-12-29' }).waitFor();
  const jukiRow = room.locator('#availability-body tr[data-system=juki]');
  await room.locator('#availability-body tr[data-system=juki][data-up=false]').waitFor();
  const reason = await jukiRow.getByTestId('availability-reason').textContent();
  check(/年末年始/.test(reason), `availability: 住基ネット down at 2026-12-29 10:00 JST, reason "${reason}"`);
  const bar = room.locator('[data-testid=timeline-svg] rect[data-system=juki][data-up=false][data-reason=planned_outage]').first();
  await bar.waitFor({ state: 'attached' });
  const barTitle = await bar.locator('title').textContent();
  check(/年末年始/.test(barTitle), `timeline: 住基ネット's planned outage drawn, hover says "${barTitle.split('\n').pop()}"`);
  const dayOff = await room.locator('[data-testid=timeline-svg] rect.dayoff[data-date="2027-01-01"] title').textContent();
  check(/元日/.test(dayOff), 'timeline: 2027-01-01 shaded as 元日');
  check(await room.getByTestId('timeline-now').count() === 1, 'timeline: a "now" line');
  check(await room.getByTestId('timeline-from').inputValue() === '2026-12-29', 'timeline: the start field shows the virtual today, 2026-12-29');
  await checkCalendar(room, 'week from now, desktop');
  await shootSections(room, 'desktop', ['clock', 'availability', 'timeline']);
  const chart = room.locator('[data-testid=timeline-svg]');
  // From a chosen date (midnight to midnight: the last day ends at the chart's right edge).
  await room.getByTestId('timeline-from').fill('2026-12-28');
  await room.locator('#timeline-range button[type=submit]').click();
  await chart.locator('text.tick[data-date="2026-12-28"]').waitFor({ state: 'attached' });
  await checkCalendar(room, 'week from 2026-12-28 00:00, desktop');
  check(await chart.locator('text.tick[data-date="2027-01-03"]').count() === 1, 'timeline: the last day, 2027-01-03, labelled');
  await room.locator('#timeline').screenshot({ path: path.join(args.out, 'control-room-timeline-from-date-desktop.png') });
  await room.getByTestId('timeline-span').selectOption('31');
  await chart.locator('text.tick[data-date="2027-01-25"]').waitFor({ state: 'attached' });
  await checkCalendar(room, 'month from 2026-12-28, desktop');
  await room.locator('#timeline').screenshot({ path: path.join(args.out, 'control-room-timeline-month-desktop.png') });
  // The day view from now (10:00): hours on both sides of midnight.
  await room.locator('#timeline-now').click();
  await room.getByTestId('timeline-span').selectOption('1');
  await chart.locator('text.tick.hour').first().waitFor({ state: 'attached' });
  const dayTicks = await chart.locator('text.tick').evaluateAll((ts) => ts.map((t) => ({ text: t.textContent, x: t.getBBox().x, date: t.dataset.date || '' })));
  const midnight = dayTicks.find((t) => t.date === '2026-12-30');
  const after = dayTicks.filter((t) => /^\d+:00$/.test(t.text) && midnight && t.x > midnight.x).map((t) => t.text);
  check(after.includes('3:00') && after.includes('6:00') && dayTicks.some((t) => t.text === '12:00'),
        `timeline day view: hours before and after midnight (after 12-30: ${after.join(' ')})`);
  check(await room.getByTestId('timeline-from').inputValue() === '2026-12-29', 'timeline: いまから shows the virtual today again');
  await checkCalendar(room, 'day from now, desktop');
  await room.locator('#timeline').screenshot({ path: path.join(args.out, 'control-room-timeline-day-desktop.png') });
  await room.getByTestId('timeline-span').selectOption('7');
  await chart.locator('text.tick.hour').first().waitFor({ state: 'detached' });

  // 2. Back to an ordinary Wednesday morning: everything up.
  await room.getByTestId('clock-input').fill('2026-12-02T10:00');
  await room.getByTestId('clock-set').click();
  await room.locator('#availability-body tr[data-system=juki][data-up=true]').waitFor();
  check(true, 'availability: 住基ネット up again at 2026-12-02 10:00');

  // 3. Faults through the form: the parser's error inline, then a fault that fires.
  const form = room.getByTestId('fault-form');
  await form.getByTestId('fault-kind').selectOption('http_error');
  await form.getByTestId('fault-target').selectOption('municipal');
  await form.locator('input[name=probability]').fill('2');
  await room.getByTestId('fault-add').click();
  await room.getByTestId('fault-error').filter({ hasText: /probability/ }).waitFor();
  check(true, `fault form: invalid fault refused inline ("${(await room.getByTestId('fault-error').textContent()).trim()}")`);
  await form.locator('input[name=probability]').fill('');
  const faultId = '<script>window.__pwned=1</script>';
  await form.getByTestId('fault-id').fill(faultId);
  await form.getByTestId('fault-count').fill('1');
  await form.locator('input[name=status]').fill('503');
  await form.getByTestId('fault-error-code').fill('MUNI_BUSY');
  await room.getByTestId('fault-add').click();
  await room.locator('#faults-body tr', { hasText: faultId }).waitFor();
  check(await room.getByTestId('fault-error').textContent() === '', 'fault form: fault added, no error');
  check(await room.evaluate(() => window.__pwned === undefined), 'fault id "<script>…" shown as text, never run');
  // A forced-down fault shows on the calendar and goes again when removed in the UI.
  await form.locator('input[name=id]').fill('pension-down');
  await form.getByTestId('fault-kind').selectOption('down');
  await form.getByTestId('fault-target').selectOption('japan-pension');
  await form.getByTestId('fault-count').fill('');
  await form.locator('input[name=status]').fill('');
  await form.getByTestId('fault-error-code').fill('');
  await form.getByTestId('fault-for').fill('PT6H');
  await room.getByTestId('fault-add').click();
  await room.locator('[data-testid=timeline-svg] rect.forced[data-system=japan-pension]').waitFor({ state: 'attached' });
  check(true, 'timeline: forced-down fault on japan-pension overlaid');
  await room.locator('#faults-body tr[data-fault=pension-down]').getByTestId('fault-remove').click();
  await room.locator('#faults-body tr[data-fault=pension-down]').waitFor({ state: 'detached' });
  await room.locator('[data-testid=timeline-svg] rect.forced').waitFor({ state: 'detached' });
  check(true, 'faults: removed from the UI, gone from the calendar');

  // A shipped scenario, loaded from the list: its steps and log appear; then it is stopped.
  await room.getByTestId('scenario-file').selectOption('year-end-juki.yaml');
  await room.getByTestId('scenario-load').click();
  await room.getByTestId('scenario-name').waitFor();
  check(await room.getByTestId('scenario-name').textContent() === 'year-end-juki', 'scenario: year-end-juki loaded from the list');
  await room.getByTestId('clock-now').filter({ hasText: '2026-12-28' }).waitFor();
  check(true, 'scenario: its clock start (2026-12-28 20:55) shows');
  await room.getByTestId('scenario-stop').click();
  await room.getByTestId('scenario-name').waitFor({ state: 'detached' });
  await room.getByTestId('clock-freeze').click();
  await room.getByTestId('clock-mode').filter({ hasText: 'frozen' }).waitFor();
  // 実時刻に戻す: the server's wall clock again (running, speed 1) — then frozen again for the flow.
  await room.getByTestId('clock-wall').click();
  await room.getByTestId('clock-mode').filter({ hasNotText: 'frozen' }).waitFor();
  const wallClock = await admin('GET', '/__admin/clock');
  check(!wallClock.frozen && wallClock.speed === 1 && Math.abs(Date.parse(wallClock.now) - Date.now()) < 60000,
        "clock: 実時刻に戻す follows the server's wall clock again");
  await room.getByTestId('clock-freeze').click();
  await room.getByTestId('clock-mode').filter({ hasText: 'frozen' }).waitFor();
  await room.getByTestId('clock-input').fill('2026-12-02T10:00');
  await room.getByTestId('clock-set').click();
  await room.locator('#availability-body tr[data-system=juki][data-up=true]').waitFor();
  await admin('DELETE', '/__admin/faults');
  await form.getByTestId('fault-id').fill(faultId);
  await form.getByTestId('fault-kind').selectOption('http_error');
  await form.getByTestId('fault-target').selectOption('municipal');
  await form.getByTestId('fault-for').fill('');
  await form.getByTestId('fault-count').fill('1');
  await form.locator('input[name=status]').fill('503');
  await form.getByTestId('fault-error-code').fill('MUNI_BUSY');
  await room.getByTestId('fault-add').click();
  await room.locator('#faults-body tr', { hasText: faultId }).waitFor();

  // 4. A flow started from the landing page, through the portal's screens.
  const portal = await context.newPage();
  portal.on('pageerror', (e) => pageErrors.push(`portal: ${e.message}`));
  portal.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`portal console: ${m.text()}`); });
  portal.on('response', (r) => { if (new URL(r.url()).pathname.endsWith('/assets/portal.css') && r.status() === 200) state.cssFetched++; });
  await portal.goto(`${args.app}/`);
  const pinHead = await linesOf(portal, 'th', '暗証番号');
  check(pinHead.length >= 1 && pinHead.every((n) => n === 1), `landing page: 暗証番号 on one line (${pinHead.join(', ')} lines)`);
  const tryButton = await linesOf(portal, '[data-testid=authorize-without-app]', 'アプリなしで試す');
  check(tryButton.length >= 1 && tryButton.every((n) => n === 1), `landing page: アプリなしで試す on one line (${tryButton.length} shown)`);
  check(await portal.evaluate(() => window.__pwned === undefined), 'landing page: a persona named "<script>…" shown as text');
  check(await portal.locator('[data-persona=hostile] strong').first().textContent() === '<script>window.__pwned=1</script>',
        'landing page: the hostile name reads literally');
  await shoot(portal, 'landing-desktop');
  const service = portal.locator(`[data-testid=service][data-client-id="${args['client-id']}"]`);
  await service.locator('[data-persona=taro] [data-testid=authorize-link]').click();
  await portal.getByTestId('steps').waitFor();
  await shoot(portal, 'portal-consent-desktop');
  await portal.getByTestId('consent-terms').check();
  await portal.getByTestId('consent-agree').click();
  await portal.getByTestId('card-select').selectOption('MC00000001');
  await portal.getByTestId('pin-input').fill('1234');
  await shoot(portal, 'portal-card-desktop');
  await portal.getByTestId('auth-submit').click();
  await portal.getByTestId('link-confirm').click();
  await portal.waitForURL((u) => u.href.startsWith(args['redirect-uri']));
  const callback = new URL(portal.url());
  const code = callback.searchParams.get('code');
  check(code && callback.searchParams.get('state') === 'mynasim-landing', 'landing link → consent → card → link → the service got a code');
  const tokenRes = await post(`${args.sp}/online-authorization-web/oauth/token`,
    new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: args['redirect-uri'], client_id: args['client-id'] }).toString(),
    { 'Content-Type': 'application/x-www-form-urlencoded' });
  const token = JSON.parse(tokenRes.body).access_token;
  check(token, 'token exchanged');
  const telegramId = `TL-${args['client-id'].slice(2, 10)}-261202100000-0001`;
  const header = (type, processId) => ({ telegramId, telegramType: type, mode: '1', processId, errorCode: '' });
  // The hop to 情報提供NWS held 1.5 s (this request's own fault), so the first IF001-06 poll is
  // answered MPE3008 before the notification is sent — what polling-before-notification reports.
  const accepted = JSON.parse((await post(`${args.sp}/online-resource-web/request`,
    JSON.stringify({ commonHeader: header('IFA0301-R01', ''), selfProvisionDataReqInfo: { inquiryCondition: 'Latest' } }),
    { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json',
      'X-Mynasim-Fault': JSON.stringify({ kind: 'latency', target: 'network', latency_ms: 1500 }) })).body);
  const processId = accepted.commonHeader.processId;
  check(processId, `IF001-04 accepted, processId ${processId}`);
  let result, firstPoll;
  for (let i = 0; i < 100; i++) {
    result = JSON.parse((await post(`${args.sp}/online-resource-web/result`, JSON.stringify({ commonHeader: header('IFA0303-R01', processId) }),
      { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' })).body);
    firstPoll ??= result.commonHeader.errorCode;
    if (result.commonHeader.errorCode !== 'MPE3008') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  check(result.commonHeader.telegramType === 'IFA0303-S01', `IF001-06 answered (errorCode "${result.commonHeader.errorCode}")`);
  check(firstPoll === 'MPE3008', 'the first IF001-06 poll came before the result was ready (MPE3008)');
  const faults = await admin('GET', '/__admin/faults');
  check(!faults.faults.some((f) => f.id === faultId), 'the count-1 fault fired and is used up');

  // 5. The flow's sequence diagram in the control room.
  await room.bringToFront();
  const row = room.locator(`#flows-body tr[data-process="${processId}"]`);
  await row.waitFor();
  await row.click();
  await room.locator('[data-testid=sequence-svg]').waitFor();
  // The notification's journal entry lands when its answer arrives — possibly after IF001-06
  // was read; the diagram redraws with each refresh, so wait for it.
  await room.locator('[data-testid=sequence-svg] [data-testid=sequence-hop][data-direction=out]').first()
    .waitFor({ state: 'attached' });
  const hopsWith = async (sel) => room.locator(`[data-testid=sequence-svg] [data-testid=sequence-hop]${sel}`).count();
  for (const [sel, what] of [['[data-system=portal]', 'API user → portal (IF001-04 / IF001-06)'], ['[data-system=network]', 'portal → 情報提供NWS'],
                             ['[data-system=juki]', '情報提供NWS → 住基ネット'], ['[data-system=municipal]', '情報提供NWS → 自治体中間サーバ'],
                             ['[data-direction=out]', 'portal → API user (IF001-05 notification)']])
    check(await hopsWith(sel) >= 1, `sequence diagram: ${what}`);
  check(await hopsWith('[data-system=portal]') >= 2, 'sequence diagram: both IF001-04 and IF001-06');
  const faulted = room.locator('[data-testid=sequence-svg] [data-testid=sequence-hop][data-system=municipal][data-faults]');
  check(await faulted.count() === 1 && /MUNI_BUSY|503/.test(await faulted.textContent()),
        `sequence diagram: the injected fault on 自治体中間サーバ's arrow ("${(await faulted.locator('text').textContent())}")`);
  // Arrows in the order the exchanges began (issue 30, item 10): the MPE3008 poll before the
  // notification sent after it, though the notification's entry may be recorded later.
  const drawn = await room.locator('[data-testid=sequence-svg] [data-testid=sequence-hop]').evaluateAll((gs) => gs.map((g) => ({
    direction: g.dataset.direction, code: g.dataset.errorCode || '', path: g.dataset.path || '',
    started: Date.parse(g.dataset.started), ticket: Number(g.dataset.startSeq) })));
  const firstOut = drawn.findIndex((h) => h.direction === 'out');
  const early = drawn.flatMap((h, i) => (h.path.endsWith('/online-resource-web/result') && h.code === 'MPE3008' ? [i] : []));
  check(drawn[0].path.endsWith('/online-resource-web/request'), 'sequence diagram: IF001-04 is the first arrow');
  check(early.length >= 1 && firstOut > 0 && early.every((i) => i < firstOut),
        `sequence diagram: the MPE3008 poll(s) (arrows ${early.join(', ')}) drawn before the first IF001-05 (arrow ${firstOut})`);
  check(drawn.every((h, i) => i === 0 || drawn[i - 1].started < h.started || (drawn[i - 1].started === h.started && drawn[i - 1].ticket < h.ticket)),
        `sequence diagram: ${drawn.length} arrows in the order their exchanges began (started, start_seq)`);
  await checkLaneHeads(room, 'desktop');
  await room.locator('#flows').screenshot({ path: path.join(args.out, 'control-room-sequence-order-desktop.png') });
  await room.locator('#journal-body tr').first().waitFor();
  check(await room.locator('#journal-body tr').count() >= 5, 'journal: live tail shows the flow');
  const times = await room.getByTestId('journal-time').allTextContents();
  check(times.length >= 5 && times.every((t) => /\d\d:\d\d:\d\d(\.\d{3})?$/.test(t)), `journal: times to the second ("${times[0]}")`);
  const assets = await admin('GET', '/__admin/requests?path=/online-authorization-web/assets/');
  const screens = await admin('GET', '/__admin/requests?path=/online-authorization-web/consent');
  check(state.cssFetched >= 2 && assets.requests.length === 0 && screens.requests.length >= 1,
        `journal: portal.css fetched ${state.cssFetched} times by the screens, journaled ${assets.requests.length} times; the screens journaled`);
  await shootSections(room, 'desktop', ['faults', 'flows', 'journal']);
  // The conformance lint of this API user: the landing flow sent no PKCE, and polled IF001-06.
  await room.getByTestId('lint-client').selectOption(args['client-id']);
  await room.getByTestId('lint-run').click();
  await room.locator('#lint-body tr[data-rule=no-pkce]').waitFor();
  check(await room.locator('#lint-body tr[data-rule=polling-before-notification]').count() === 1,
        'lint: polling-before-notification, the poll the diagram draws before the notification');
  check(true, `lint: findings listed (${(await room.locator('#lint-body tr[data-testid=lint-finding]').allTextContents()).length} rules)`);
  // QA and business testers read Japanese: the remedy in Japanese first, then in English.
  const pkceRemedy = await room.locator('#lint-body tr[data-rule=no-pkce] [data-testid=lint-remedy]').innerText();
  check(/^code_challenge（S256）と code_verifier を送ってください\s+send code_challenge \(S256\) and code_verifier$/.test(pkceRemedy.trim()),
        `lint: the remedy in Japanese, then in English ("${pkceRemedy.trim().replace(/\s+/g, ' ')}")`);
  const pkceDetail = await room.locator('#lint-body tr[data-rule=no-pkce] td').nth(2).innerText();
  check(/code_challenge のない認可要求\s+authorize without code_challenge/.test(pkceDetail),
        `lint: what was seen in Japanese, then in English ("${pkceDetail.replace(/\s+/g, ' ')}")`);
  await shootSections(room, 'desktop', ['lint']);

  // 6. A card locked with three wrong PINs on the portal's screens, unlocked in the control room.
  await portal.goto(`${args.app}/`);
  await service.locator('[data-persona=hanako] [data-testid=authorize-link]').click();
  await portal.getByTestId('consent-terms').check();
  await portal.getByTestId('consent-agree').click();
  const hanakoSerial = (await admin('GET', '/__admin/personas')).personas.find((p) => p.id === 'hanako').card_serial;
  await portal.getByTestId('card-select').selectOption(hanakoSerial);
  for (let i = 1; i <= 3; i++) {
    await portal.getByTestId('pin-input').fill('0000');
    await Promise.all([portal.waitForNavigation(), portal.getByTestId('auth-submit').click()]);
    if (i < 3) {
      // The new page, not the previous one: it counts the tries down.
      await portal.getByTestId('auth-error').filter({ hasText: `残り${3 - i}回` }).waitFor();
      check(await portal.getByTestId('card-select').inputValue() === hanakoSerial, `wrong PIN ${i}: the chosen card is still chosen`);
    }
  }
  await portal.getByTestId('card-failure').waitFor();
  await shoot(portal, 'portal-card-locked-desktop');
  check(true, 'third wrong PIN: the portal shows the lock on its own page');
  await portal.getByTestId('back-to-service').click();
  await portal.waitForURL((u) => u.href.startsWith(args['redirect-uri']));
  check(new URL(portal.url()).searchParams.get('error') === 'access_denied', 'back to the service, which received the error redirect');
  await room.bringToFront();
  const hanako = room.locator('#personas-body tr[data-persona=hanako]');
  await hanako.getByTestId('card-tries').filter({ hasText: 'ロック' }).waitFor();
  check(true, 'control room: hanako\'s card shows locked');
  await hanako.getByTestId('card-reset').click();
  await hanako.getByTestId('card-tries').filter({ hasText: '3 回' }).waitFor();
  check(true, 'control room: unlocked (3 tries) with one click');
  await shootSections(room, 'desktop', ['personas']);
  check(await room.evaluate(() => window.__pwned === undefined), 'control room: the hostile persona name never ran');

  // 7. Every section at 390 px wide: no horizontal scrolling of the page itself.
  await room.setViewportSize({ width: 390, height: 844 });
  await room.reload();
  await room.getByTestId('clock-now').filter({ hasText: /\d{4}-/ }).waitFor();
  await room.locator(`#flows-body tr[data-process="${processId}"]`).click();
  await room.locator('[data-testid=sequence-svg]').waitFor();
  const overflow = await room.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 1, `control room at 390 px: page does not scroll sideways (overflow ${overflow}px)`);
  await checkLaneHeads(room, '390 px');
  await room.locator('#flows').screenshot({ path: path.join(args.out, 'control-room-sequence-mobile.png') });
  await room.locator('[data-testid=timeline-svg] rect[data-up]').first().waitFor({ state: 'attached' });
  await checkCalendar(room, 'week from now, 390 px');
  await shootSections(room, 'mobile');
  await room.getByTestId('timeline-span').selectOption('1');
  await room.locator('[data-testid=timeline-svg] text.tick.hour').first().waitFor({ state: 'attached' });
  await checkCalendar(room, 'day from now, 390 px');
  await room.locator('#timeline').screenshot({ path: path.join(args.out, 'control-room-timeline-day-mobile.png') });
  await room.getByTestId('timeline-span').selectOption('31');
  await room.locator('[data-testid=timeline-svg] text.tick.hour').first().waitFor({ state: 'detached' });
  await room.locator('[data-testid=timeline-svg] text.tick[data-date]').nth(2).waitFor({ state: 'attached' });
  await checkCalendar(room, 'month from now, 390 px');
  await room.locator('#timeline').screenshot({ path: path.join(args.out, 'control-room-timeline-month-mobile.png') });
  await portal.setViewportSize({ width: 390, height: 844 });
  await portal.goto(`${args.app}/`);
  const pinLabel = await linesOf(portal, '.label-m', '暗証番号');
  check(pinLabel.length >= 1 && pinLabel.every((n) => n === 1), `landing page at 390 px: 暗証番号 on one line (${pinLabel.length} shown)`);
  await shoot(portal, 'landing-mobile');
  await service.locator('[data-persona=taro] [data-testid=authorize-link]').click();
  await portal.getByTestId('steps').waitFor();
  await portal.waitForLoadState('load');  // measured with the style sheet applied
  const headerLines = await portal.evaluate(() => {
    const spans = [...document.querySelectorAll('header .phrase')];
    return spans.map((s) => s.getClientRects().length);
  });
  check(headerLines.every((n) => n === 1), 'portal header at 390 px: no phrase broken across lines');
  await shoot(portal, 'portal-consent-mobile');
  await namedWorlds(context);
  check(pageErrors.length === 0, `no script errors or CSP violations${pageErrors.length ? ': ' + pageErrors.join('; ') : ''}`);
  console.log('# all browser checks passed');
} catch (e) {
  console.error(`not ok - ${e.message}`);
  // What each page showed when it failed, for the log and the artefacts.
  for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    try {
      await p.screenshot({ path: path.join(args.out, `failure-${i}.png`) });
      console.error(`page ${i} ${p.url()}: ${(await p.locator('body').innerText()).slice(0, 400).replace(/\s+/g, ' ')}`);
    } catch (_) { /* the page may be gone */ }
  }
  if (pageErrors.length) console.error(`page errors: ${pageErrors.join('; ')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

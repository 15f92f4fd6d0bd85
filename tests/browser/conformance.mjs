// SPDX-License-Identifier: Apache-2.0
// Drives an API user's sample app through a conformance run in a real browser (Debian's
// chromium, headless, via playwright-core): for each test the run announces, it opens the
// app, starts the flow with the test's query method, and answers the portal's real consent
// and card screens as the test's action says (consent / refuse; none: mynasim acts alone).
// It never judges: the run does, from the journal. Started by ConformanceSampleApps.* with
//   --admin URL --app URL --client-id ID --out DIR
// and follows the run that is (or soon will be) running for that service.
// Exits 0 once the run is no longer running; prints one line per test.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
for (const k of ['admin', 'app', 'client-id', 'out'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
fs.mkdirSync(args.out, { recursive: true });
const STEP_TIMEOUT = 15000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function getJson(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { timeout: 5000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => { try { resolve(JSON.parse(data)); } catch (e) { reject(e); } });
    }).on('error', reject);
  });
}
// The run `mynasim conformance run` started for the service (waits up to 30 s for it).
async function findRun() {
  for (let i = 0; i < 200; ++i) {
    const { runs } = await getJson(`${args.admin}/__admin/conformance/runs`);
    const run = runs.find((r) => r.client_id === args['client-id'] && r.state === 'running');
    if (run) return run.id;
    await sleep(150);
  }
  throw new Error(`no conformance run for ${args['client-id']}`);
}
const runId = await findRun();
const runStatus = () => getJson(`${args.admin}/__admin/conformance/runs/${runId}`);

const executablePath = process.env.MYNASIM_CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
let exitCode = 0;
try {
  let handled = -1;
  const deadline = Date.now() + 20 * 60 * 1000;
  while (Date.now() < deadline) {
    const run = await runStatus();
    if (run.state !== 'running') break;
    const test = run.current;
    if (!test || test.index === handled) { await sleep(150); continue; }
    handled = test.index;
    console.log(`[${test.index + 1}/${run.tests.length}] ${test.name}: ${test.action}`);
    if (test.action === 'none') continue;
    // A fresh browser context per test: no cookies of the previous flow.
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ignoreHTTPSErrors: true, locale: 'ja-JP' });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    try {
      await page.goto(`${args.app}/`);
      await page.getByTestId('method').selectOption(test.query_method ?? 'date');
      await page.getByTestId('start').click();
      await page.getByTestId('consent-agree').waitFor();
      if (test.action === 'refuse') {
        await page.getByTestId('consent-cancel').click();
      } else {
        await page.getByTestId('consent-terms').check();
        await page.getByTestId('consent-agree').click();
        await page.getByTestId('card-select').selectOption(run.persona.card_serial);
        await page.getByTestId('pin-input').fill(run.persona.pin);
        await page.getByTestId('auth-submit').click();
        const next = await Promise.race([
          page.getByTestId('link-confirm').waitFor().then(() => 'link'),
          page.getByTestId('card-failure').waitFor().then(() => 'failure'),
        ]);
        await page.getByTestId(next === 'link' ? 'link-confirm' : 'back-to-service').click();
      }
      await page.waitForLoadState();
      // The test ends by itself; keep the page open (it reloads while the result is on its way).
      for (let i = 0; i < 200; ++i) {
        const now = await runStatus();
        if (now.state !== 'running' || now.current?.index !== test.index) break;
        await sleep(150);
      }
      await page.screenshot({ path: path.join(args.out, `${test.name.replace(/[^a-z0-9-]+/g, '_')}.png`) }).catch(() => {});
    } catch (e) {
      console.log(`  driver: ${e.message.split('\n')[0]}`);
      await page.screenshot({ path: path.join(args.out, `${test.name.replace(/[^a-z0-9-]+/g, '_')}.failed.png`) }).catch(() => {});
    } finally {
      await context.close();
    }
  }
  const run = await runStatus();
  if (run.state === 'running') { console.log('driver: the run did not finish in time'); exitCode = 1; }
  for (const t of run.tests) console.log(`${t.verdict.padEnd(8)} ${t.name}: ${t.detail}`);
} catch (e) {
  console.error(`driver failed: ${e.stack}`);
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);

#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Sample kiosk terminal for mynasim (guideline §3, figures 3.3-1 … 3.3-7).
// Walks the screens a terminal shows while it talks to the kiosk API (sp listener) and to
// the virtual card (systems listener). No dependencies: Node.js 18+.
//
//   node examples/kiosk-terminal/terminal.mjs                     interactive
//   node examples/kiosk-terminal/terminal.mjs --auto --serial MC00000001 --pin 1234
//
// Options: --sp https://localhost:9443  --systems http://127.0.0.1:8090
//          --ca certs/generated/ca.crt  --client SP00000086_AA0003  --condition Date=20250701
//          --wait 30   seconds to wait for mynasim to be ready before giving up
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import readline from 'node:readline/promises';
import { Writable } from 'node:stream';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return acc;
}, []));
const sp = args.sp ?? 'https://localhost:9443';
const systems = args.systems ?? 'http://127.0.0.1:8090';
const ca = fs.existsSync(args.ca ?? 'certs/generated/ca.crt') ? fs.readFileSync(args.ca ?? 'certs/generated/ca.crt') : undefined;
const client = args.client ?? 'SP00000086_AA0003';
const condition = args.condition ?? `Date=${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
const auto = Boolean(args.auto);
const waitSeconds = Number(args.wait ?? 30);
// What the terminal types back is muted while the PIN is entered (a card PIN is never shown).
const muted = { on: false };
const output = new Writable({ write(chunk, encoding, done) { if (!muted.on) process.stdout.write(chunk, encoding); done(); } });
const rl = auto ? null : readline.createInterface({ input: process.stdin, output, terminal: Boolean(process.stdin.isTTY) });
let finished = false;
// End of input (Ctrl-D, a closed pipe): leave the screens quietly.
rl?.on('close', () => {
  if (finished) return;
  console.log('\n入力が終わりました。取引を中止します。');
  process.exit(0);
});

function call(base, path, body, headers = {}) {
  const url = new URL(path, base);
  const lib = url.protocol === 'https:' ? https : http;
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = lib.request(url, {
      method: data ? 'POST' : 'GET', ca, servername: url.hostname,
      headers: { 'content-type': 'application/json', ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => { try { resolve({ status: res.statusCode, json: JSON.parse(text) }); } catch { resolve({ status: res.statusCode, json: {} }); } });
    });
    req.on('error', (e) => reject(new Error(`${url.origin} に接続できません（${e.code ?? e.message}）`)));
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    if (data) req.write(data);
    req.end();
  });
}

function screen(title, lines = []) {
  console.log(`\n┌─ ${title} ${'─'.repeat(Math.max(0, 44 - title.length))}`);
  for (const l of lines) console.log(`│ ${l}`);
  console.log('└' + '─'.repeat(48));
}
async function ask(prompt, fallback) {
  if (auto) { console.log(`${prompt} ${fallback}`); return String(fallback); }
  const answer = (await rl.question(`${prompt} `)).trim();
  return answer || String(fallback);
}
function fail(message) { finished = true; screen('エラー', [message]); rl?.close(); process.exit(1); }
async function askSecret(prompt, fallback) {
  if (auto) { console.log(`${prompt} ****`); return String(fallback); }
  process.stdout.write(`${prompt} `);
  muted.on = true;
  try { return (await rl.question('')).trim() || String(fallback); } finally { muted.on = false; process.stdout.write('\n'); }
}
// A terminal started with the simulator waits for it instead of failing on its first call.
async function waitForMynasim() {
  const deadline = Date.now() + waitSeconds * 1000;
  let said = false;
  for (;;) {
    try {
      const r = await call(sp, '/readyz');
      if (r.status === 200) return;
    } catch (e) {
      if (Date.now() >= deadline) fail(`mynasim に接続できません: ${e.message}。mynasim serve を起動してください。`);
    }
    if (Date.now() >= deadline) fail(`mynasim の準備ができていません（${sp}/readyz）。`);
    if (!said) { console.log(`mynasim (${sp}) を待っています…`); said = true; }
    await new Promise((r) => setTimeout(r, 250));
  }
}
process.on('unhandledRejection', (e) => fail(e?.message ?? String(e)));

await waitForMynasim();

screen('3.3-1 トップ', ['[マイナポータルからの情報提出]']);
await ask('Enter で開始 >', '');
screen('3.3-2 提出先の選択', [`1. 住宅ローンサービスへの所得情報の提出 (${client})`]);
await ask('番号 >', '1');
screen('3.3-3 確認', ['マイナポータルを通じて所得情報を提出します。よろしいですか？']);
if ((await ask('同意する (y/n) >', 'y')).toLowerCase() !== 'y') fail('取消しました。');

// 3.3-4: the card is taken in and stays in the terminal until the end.
const serial = await ask('3.3-4 マイナンバーカードを置いてください（シリアル番号）>', args.serial ?? 'MC00000001');
const challenge = await call(sp, '/online-kiosk-web/challenge', { client_id: client });
if (challenge.status !== 200) fail(`challenge: ${JSON.stringify(challenge.json)}`);

let token;
for (;;) {
  screen('3.3-5 パスワード入力', ['利用者証明用電子証明書のパスワード（4桁の数字）を入力してください。']);
  const pin = await askSecret('PIN >', args.pin ?? '1234');
  const signed = await call(systems, `/virtual-card/${serial}/sign`, { pin, challenge: challenge.json.challenge });
  if (signed.status === 403 && !auto) { console.log(`暗証番号が違います（残り${signed.json.tries_left}回）`); continue; }
  if (signed.status !== 200) fail(signed.json.error_description ?? JSON.stringify(signed.json));
  const t = await call(sp, '/online-kiosk-web/token', {
    client_id: client, challenge: challenge.json.challenge, certificate: signed.json.certificate, signature: signed.json.signature,
  });
  if (t.status !== 200) fail(`${t.json.errorCode}: ${t.json.error_description}`);
  token = t.json;
  break;
}

const headers = { authorization: `Bearer ${token.access_token}`, 'x-kiosk-card-sha256': token.card_sha256 };
const telegramId = `TL-${client.slice(2, 10)}-${new Date().toISOString().replace(/\D/g, '').slice(2, 14)}-0001`;
const accepted = await call(sp, '/online-resource-web/request', {
  commonHeader: { telegramId, telegramType: 'IFA0301-R01', mode: '1', processId: '', errorCode: '' },
  selfProvisionDataReqInfo: { inquiryCondition: condition },
}, headers);
if (accepted.status !== 200) fail(`request: ${JSON.stringify(accepted.json)}`);
const processId = accepted.json.commonHeader.processId;

// The service's own server would be notified (IF001-05); the terminal polls IF001-06.
let result;
for (let i = 0; i < 100; i++) {
  result = await call(sp, '/online-resource-web/result', {
    commonHeader: { telegramId, telegramType: 'IFA0303-R01', mode: '1', processId, errorCode: '' },
  }, headers);
  if (result.json.commonHeader?.errorCode !== 'MPE3008') break;
  await new Promise((r) => setTimeout(r, 200));
}
const header = result.json.commonHeader ?? {};
const lines = [`${client} に以下の情報を提供してもよい場合、「確認」ボタンを押してください。`];
if (header.errorCode) lines.push(`(${header.errorCode}) ${result.json.errorMessage ?? ''}`);
const data = JSON.parse(result.json.selfPersonalDataProvisionInfo?.selfPersonalData ?? '[]');
for (const entry of data)
  for (const [body, info] of Object.entries(entry))
    for (const [name, records] of Object.entries(info)) {
      lines.push(`■ ${name}（${body}）`);
      for (const r of records) for (const [k, v] of Object.entries(r)) lines.push(`   ${k}\t${typeof v === 'object' ? JSON.stringify(v) : v}`);
    }
screen('3.3-6 情報提供可否の確認', lines);
await ask('[確認] Enter >', '');
screen('3.3-7 完了', ['情報の提出が完了しました。カードをお取りください。', `processId ${processId}`]);
finished = true;
rl?.close();
console.log(JSON.stringify({ ok: !header.errorCode || header.errorCode === 'MPE5002', processId, errorCode: header.errorCode ?? '' }));

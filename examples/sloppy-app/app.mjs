#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A deliberately sloppy API user, for the conformance tests to catch. DO NOT COPY: every
// shortcut below is one the real portal punishes. It is what a first prototype often does:
//   - sends a fixed state and never checks it on the callback      → state-forged fails
//   - polls IF001-06 every 100 ms instead of waiting for IF001-05  → happy-path fails (polling storm)
//   - retries IF001-04 at once when a system is stopped           → juki-year-end fails
//   - treats a partial result (MPE5001) as a failure, asks again   → partial-result fails
//   - answers the notification with a plain "OK"                  → notification-ack fails
//   - fetches the result again on every notification, even after
//     its poll got MPE3009 (expired)                               → notification-duplicated and
//                                                                     result-expired fail
// It does stop at the portal's error redirects, re-authorizes on MPE3001 and polls until it
// has a result, so consent-refused, the card tests, token-expired and notification-lost pass. Same options as examples/bank-app/app.mjs.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const opt = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const port = Number(opt('port', 4001));
const client = opt('client', 'SP00000086_AA0010');
const portal = opt('portal', 'https://localhost:8443');
const sp = opt('sp', 'https://localhost:9443');
const agent = new https.Agent({ ca: fs.readFileSync(opt('ca', 'certs/generated/ca.crt')) });
let callback = '';
let token = '', telegram = '', processId = '', method = 'date', status = 'idle', counter = 0;

function post(path, body, type = 'application/json') {
  return new Promise((resolve) => {
    const req = https.request(sp + path, { method: 'POST', agent, timeout: 10000,
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c) => { if (text.length < 1 << 20) text += c; });
      res.on('end', () => { let json = {}; try { json = JSON.parse(text); } catch { /* ignore */ } resolve({ code: res.statusCode, json }); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ code: 0, json: {} }));
    req.end(body);
  });
}

const header = (type, pid) => ({ telegramId: telegram, telegramType: type, mode: '1', processId: pid, errorCode: '' });
const authorize = () => `${portal}/online-authorization-web/oauth/authorize?response_type=code&client_id=${client}` +
  `&redirect_uri=${encodeURIComponent(callback)}&state=xyz&login_type=0`;

async function ask(retries) {
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  telegram = `TL-${client.slice(2, 10)}-${today.slice(2)}120000-${String(++counter % 10000).padStart(4, '0')}`;
  const cond = method === 'range' ? `Range=20200101-${today}` : method === 'latest' ? 'Latest' : `Date=${today}`;
  const r = await post('/online-resource-web/request', JSON.stringify({ commonHeader: header('IFA0301-R01', ''),
    selfProvisionDataReqInfo: { inquiryCondition: cond } }));
  if (r.code === 401) return 'reauthorize';
  if (r.json.commonHeader?.errorCode) {  // a stopped system? just try again
    status = 'error ' + r.json.commonHeader.errorCode;
    return retries > 0 ? ask(retries - 1) : 'error';
  }
  processId = r.json.commonHeader?.processId ?? '';
  poll(processId, 200, retries);
  return 'ok';
}

async function fetchResult(pid) {
  const r = await post('/online-resource-web/result', JSON.stringify({ commonHeader: header('IFA0303-R01', pid) }));
  return r.json.commonHeader?.errorCode ?? 'none';
}

async function poll(pid, left, retries) {
  const code = await fetchResult(pid);
  if (code === 'MPE3008' && left > 0) return setTimeout(() => poll(pid, left - 1, retries), 100);
  if (code === '' || code === 'MPE5002') status = 'done';
  else if (code === 'MPE3009') status = 'expired';
  else if (retries > 0) { status = 'failed ' + code; ask(retries - 1); }  // partial = failure: ask again
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(`<!doctype html><meta charset="utf-8"><title>sloppy</title><p data-testid="status">${status}</p>
<form method="post" action="/start"><select name="method" data-testid="method"><option>date</option><option>range</option>
<option>latest</option></select><button data-testid="start">取得</button></form>`);
  }
  if (url.pathname === '/start') {
    let body = '';
    for await (const c of req) { body += c; if (body.length > 4096) break; }
    method = new URLSearchParams(body).get('method') ?? 'date';
    res.writeHead(302, { location: authorize() });
    return res.end();
  }
  if (url.pathname === '/callback') {
    if (url.searchParams.get('error')) status = 'refused ' + url.searchParams.get('error_code');
    else {
      const t = await post('/online-authorization-web/oauth/token', new URLSearchParams({ grant_type: 'authorization_code',
        code: url.searchParams.get('code') ?? '', redirect_uri: callback, client_id: client }).toString(),
        'application/x-www-form-urlencoded');
      token = t.json.access_token ?? '';
      if (await ask(3) === 'reauthorize') { res.writeHead(302, { location: authorize() }); return res.end(); }
    }
    res.writeHead(303, { location: '/' });
    return res.end();
  }
  if (url.pathname === '/myna/notify') {
    let body = '';
    for await (const c of req) { body += c; if (body.length > 16384) break; }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('OK');
    try { fetchResult(JSON.parse(body).commonHeader.processId); } catch { /* ignore */ }
    return;
  }
  res.writeHead(404);
  res.end();
}).listen(port, '127.0.0.1', function () {
  const base = `http://127.0.0.1:${this.address().port}`;
  callback = `${base}/callback`;
  console.log(`listening on ${base}`);
});

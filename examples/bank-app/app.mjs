#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// ○○銀行 カードローン事前審査 — a small bank web app that obtains the applicant's 地方税 and
// 年金 information through Myna Portal's 自己情報取得API, written only from mynasim's docs/
// (docs/api.md, docs/openapi/mynasim-api.yaml). It is the careful API user: every step the
// conformance tests look at is done the way they expect. No dependencies: Node.js 18+.
//
//   node examples/bank-app/app.mjs [--port 4000] [--client SP00000086_AA0010]
//        [--portal https://localhost:8443] [--sp https://localhost:9443] [--ca certs/generated/ca.crt]
//
// It prints "listening on http://127.0.0.1:<port>" once it accepts connections (--port 0:
// any free port).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return acc;
}, []));
const config = {
  port: Number(args.port ?? 4000),
  client: args.client ?? 'SP00000086_AA0010',
  portal: args.portal ?? 'https://localhost:8443',
  sp: args.sp ?? 'https://localhost:9443',
  ca: fs.readFileSync(args.ca ?? 'certs/generated/ca.crt'),  // verify the portal's certificate
};
const providerDigits = config.client.slice(2, 10);

// ---- state, bounded ---------------------------------------------------------------------
const MAX_SESSIONS = 1000;
const sessions = new Map();   // sid → {state, verifier, method, token, telegramId, processId, view}
const byProcess = new Map();  // processId → sid
function newSession() {
  if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value);  // the oldest goes
  const sid = crypto.randomBytes(24).toString('base64url');
  sessions.set(sid, { view: { phase: 'new' } });
  return sid;
}
function sessionOf(req) {
  const m = /(?:^|;\s*)sid=([A-Za-z0-9_-]{32})/.exec(req.headers.cookie ?? '');
  return m && sessions.has(m[1]) ? [m[1], sessions.get(m[1])] : [null, null];
}

// ---- HTTPS to the portal ---------------------------------------------------------------
function call(url, { method = 'POST', headers = {}, body = '' } = {}) {
  return new Promise((resolve) => {
    const req = https.request(url, { method, headers: { ...headers, 'content-length': Buffer.byteLength(body) },
                                     ca: config.ca, timeout: 10000 }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => { size += c.length; if (size <= 4 << 20) chunks.push(c); else req.destroy(); });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON: reported below */ }
        resolve({ status: res.statusCode, json, text, headers: res.headers });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, json: null, text: String(e.message) }));
    req.end(body);
  });
}

// TL-<8 provider digits>-<YYMMDDhhmmss JST>-<4 digits>, new for every IF001-04.
let sequence = crypto.randomInt(10000);
function telegramId() {
  const jst = new Date(Date.now() + 9 * 3600 * 1000).toISOString();  // 2026-11-27T12:34:56.000Z shifted to JST
  const stamp = jst.slice(2, 4) + jst.slice(5, 7) + jst.slice(8, 10) + jst.slice(11, 13) + jst.slice(14, 16) + jst.slice(17, 19);
  sequence = (sequence + 1) % 10000;
  return `TL-${providerDigits}-${stamp}-${String(sequence).padStart(4, '0')}`;
}

function yyyymmdd(d) { return d.toISOString().slice(0, 10).replaceAll('-', ''); }
function condition(method) {
  const today = new Date();
  if (method === 'date') return `Date=${yyyymmdd(today)}`;
  if (method === 'range') return `Range=${yyyymmdd(new Date(today - 3 * 365 * 86400000))}-${yyyymmdd(today)}`;
  return 'Latest';
}

// ---- the flow ----------------------------------------------------------------------------
const MESSAGES = {
  MPE1101: 'マイナポータルでの連携をやめました。審査には情報の取得が必要です。',
  MPE1103: 'マイナンバーカードの暗証番号がロックされています。お住まいの市区町村窓口でロックを解除してください。',
  MPE1104: '利用者証明用電子証明書の有効期限が切れています。市区町村窓口で更新してください。',
  MPE1105: '利用者証明用電子証明書が失効しています。市区町村窓口にお問い合わせください。',
};

function authorizeUrl(session) {
  session.state = crypto.randomBytes(24).toString('base64url');
  session.verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(session.verifier).digest('base64url');
  const q = new URLSearchParams({ response_type: 'code', client_id: config.client, redirect_uri: redirectUri,
                                  state: session.state, login_type: '0', code_challenge: challenge,
                                  code_challenge_method: 'S256' });
  return `${config.portal}/online-authorization-web/oauth/authorize?${q}`;
}

async function request(sid, session) {
  session.telegramId = telegramId();
  const r = await call(`${config.sp}/online-resource-web/request`, {
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ commonHeader: { telegramId: session.telegramId, telegramType: 'IFA0301-R01', mode: '1',
                                           processId: '', errorCode: '' },
                           selfProvisionDataReqInfo: { inquiryCondition: condition(session.method) } }),
  });
  const header = r.json?.commonHeader ?? {};
  if (r.status === 401) return { reauthorize: true };  // the token expired: a new authorization, no retry
  if (r.status !== 200 || header.errorCode) {
    session.view = { phase: 'error', code: header.errorCode ?? String(r.status), message: r.json?.errorMessage ?? r.text,
                     reopensAt: reopensAt(r) };
    return {};
  }
  session.processId = header.processId;
  byProcess.set(session.processId, sid);
  if (byProcess.size > MAX_SESSIONS) byProcess.delete(byProcess.keys().next().value);
  session.view = { phase: 'waiting' };
  // The notification is the signal; fetching without it is only a fallback, with back-off.
  scheduleFallback(session, session.processId, 5000, 0);
  return {};
}

function reopensAt(r) {
  const m = /"reopens_at"\s*:\s*"([^"]+)"/.exec(r.text ?? '');
  return m ? m[1] : (r.headers?.['retry-after'] ? `${r.headers['retry-after']} 秒後` : null);
}

function scheduleFallback(session, processId, delay, attempt) {
  if (attempt >= 5) return;
  session.fallback = setTimeout(async () => {
    if (session.processId !== processId || session.fetched) return;
    const done = await fetchResult(session, processId);
    if (!done) scheduleFallback(session, processId, delay * 2, attempt + 1);
  }, delay);
}

// IF001-06 once per process; true when there is nothing more to wait for.
async function fetchResult(session, processId) {
  if (session.fetched || session.fetching) return true;
  session.fetching = true;
  const r = await call(`${config.sp}/online-resource-web/result`, {
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ commonHeader: { telegramId: session.telegramId, telegramType: 'IFA0303-R01', mode: '1',
                                           processId, errorCode: '' } }),
  });
  session.fetching = false;
  const header = r.json?.commonHeader ?? {};
  if (header.errorCode === 'MPE3008') return false;  // not ready yet
  session.fetched = true;
  clearTimeout(session.fallback);
  const info = r.json?.selfPersonalDataProvisionInfo ?? {};
  let data = [];
  try { data = JSON.parse(info.selfPersonalData ?? '[]'); } catch { data = []; }
  const providers = Array.isArray(info.providerStatus) ? info.providerStatus : [];
  if (r.status === 200 && (!header.errorCode || header.errorCode === 'MPE5001' || header.errorCode === 'MPE5002')) {
    session.view = { phase: 'done', data, partial: header.errorCode === 'MPE5001', none: header.errorCode === 'MPE5002',
                     missing: providers.filter((p) => p.status !== 'ok') };
  } else if (header.errorCode === 'MPE3009') {
    session.view = { phase: 'expired' };
  } else {
    session.view = { phase: 'error', code: header.errorCode ?? String(r.status), message: r.json?.errorMessage ?? r.text,
                     reopensAt: reopensAt(r) };
  }
  return true;
}

// ---- pages -------------------------------------------------------------------------------
function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
function page(res, status, body, extraHead = '') {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store',
                          'content-security-policy': "default-src 'self'; frame-ancestors 'none'" });
  res.end(`<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>○○銀行 カードローン事前審査</title>${extraHead}</head><body><h1>○○銀行 カードローン事前審査</h1>${body}</body></html>`);
}
function form() {
  return `<form method="post" action="/start"><p>マイナポータルから所得と年金の情報を取得します。</p>
<label>照会方法 <select name="method" data-testid="method">
<option value="date">時点指定（本日）</option><option value="range">範囲指定（過去3年）</option><option value="latest">最新情報</option>
</select></label> <button type="submit" data-testid="start">マイナポータルで情報を取得する</button></form>`;
}
// Why a holder gave nothing, in Japanese for the person reading the page: the portal's own
// reason when it gives one, else what its status means.
const HOLDER_STATUS = { unavailable: '現在利用できません', error: '応答に誤りがありました' };
function holderReason(p) {
  return p.reason?.message ?? HOLDER_STATUS[p.status] ?? '情報を取得できませんでした';
}
function resultView(v) {
  if (v.phase === 'waiting') return '<p data-testid="waiting">情報を取得しています…</p>';
  if (v.phase === 'expired') return `<p data-testid="expired">取得結果の保存期間が過ぎました。もう一度お申し込みください。</p>${form()}`;
  if (v.phase === 'error') {
    return `<p data-testid="error">情報を取得できませんでした（${esc(v.code)}）: ${esc(v.message)}</p>` +
      (v.reopensAt ? `<p data-testid="reopens">再開予定: ${esc(v.reopensAt)}。その後にもう一度お試しください。</p>` : '') + form();
  }
  if (v.phase === 'done') {
    const rows = [];
    for (const body of v.data) for (const [provider, infos] of Object.entries(body ?? {}))
      for (const [name, records] of Object.entries(infos ?? {}))
        rows.push(`<tr><td>${esc(provider)}</td><td>${esc(name)}</td><td>${esc(JSON.stringify(records))}</td></tr>`);
    return (v.partial ? `<p data-testid="partial">一部の機関から情報を取得できませんでした: ${
      v.missing.map((p) => esc(`${p.name}（${holderReason(p)}）`)).join('、')}。取得できた情報で審査を続けます。</p>` : '') +
      (v.none ? '<p data-testid="none">該当する情報はありませんでした。</p>' : '') +
      `<table data-testid="result"><tr><th>提供機関</th><th>情報</th><th>内容</th></tr>${rows.join('')}</table>`;
  }
  return form();
}

let redirectUri = '';
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://app');
    if (req.method === 'GET' && url.pathname === '/') {
      const [, session] = sessionOf(req);
      // While the result is on its way the page reloads itself (no script needed).
      const waiting = session?.view.phase === 'waiting' ? '<meta http-equiv="refresh" content="1">' : '';
      return page(res, 200, session ? resultView(session.view) : form(), waiting);
    }
    if (req.method === 'GET' && url.pathname === '/status') {
      const [, session] = sessionOf(req);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify({ phase: session?.view.phase ?? 'none' }));
    }
    if (req.method === 'POST' && url.pathname === '/start') {
      const body = new URLSearchParams(await readBody(req, 4096));
      const sid = newSession();
      const session = sessions.get(sid);
      session.method = ['date', 'range', 'latest'].includes(body.get('method')) ? body.get('method') : 'date';
      res.writeHead(302, { location: authorizeUrl(session), 'set-cookie': `sid=${sid}; HttpOnly; SameSite=Lax; Path=/` });
      return res.end();
    }
    if (req.method === 'GET' && url.pathname === '/callback') {
      const [sid, session] = sessionOf(req);
      const state = url.searchParams.get('state');
      // The state must be the one this browser's session sent: anything else is refused (CSRF).
      if (!session || !session.state || state !== session.state) return page(res, 400, '<p data-testid="state-error">不正な画面遷移です。最初からやり直してください。</p>');
      session.state = null;  // one use
      const error = url.searchParams.get('error');
      if (error) {
        const code = url.searchParams.get('error_code') ?? error;
        session.view = { phase: 'error', code, message: MESSAGES[code] ?? url.searchParams.get('error_description') ?? error };
        return page(res, 200, resultView(session.view));
      }
      const token = await call(`${config.sp}/online-authorization-web/oauth/token`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: url.searchParams.get('code') ?? '',
                                    redirect_uri: redirectUri, client_id: config.client,
                                    code_verifier: session.verifier }).toString(),
      });
      if (token.status !== 200 || !token.json?.access_token) {
        session.view = { phase: 'error', code: token.json?.errorCode ?? String(token.status), message: token.json?.error_description ?? token.text };
        return page(res, 200, resultView(session.view));
      }
      session.token = token.json.access_token;
      const next = await request(sid, session);
      if (next.reauthorize) {
        res.writeHead(302, { location: authorizeUrl(session) });
        return res.end();
      }
      res.writeHead(303, { location: '/' });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/myna/notify') {
      // IF001-05: acknowledge at once, echoing the header, then fetch (once per process).
      let header = {};
      try { header = JSON.parse(await readBody(req, 16384)).commonHeader ?? {}; } catch { /* answered below */ }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ commonHeader: { telegramId: header.telegramId ?? '', telegramType: 'IFA0302-S01',
                                               mode: header.mode ?? '1', processId: header.processId ?? '', errorCode: '' } }));
      const sid = byProcess.get(header.processId);
      const session = sid && sessions.get(sid);
      if (session && session.processId === header.processId) {
        clearTimeout(session.fallback);
        fetchResult(session, header.processId);
      }
      return;
    }
    page(res, 404, '<p>ページが見つかりません。</p>');
  } catch (e) {
    page(res, 500, `<p>エラー: ${esc(e.message)}</p>`);
  }
});

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; if (body.length > limit) { reject(new Error('body too large')); req.destroy(); } });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

server.listen(config.port, '127.0.0.1', () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  redirectUri = args['redirect-uri'] ?? `${base}/callback`;
  console.log(`listening on ${base}`);
});

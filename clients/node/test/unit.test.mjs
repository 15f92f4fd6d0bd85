// SPDX-License-Identifier: Apache-2.0
// Unit tests: no simulator; fake HTTP servers and fake binaries.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import {
  Mynasim,
  Transport,
  MynasimApiError,
  MynasimConnectionError,
  MynasimStartError,
  MynasimVersionError,
  AuthorizationError,
  VerificationError,
  isSupportedVersion,
  pkcePair,
} from "../dist/index.js";

/** A local HTTP server answering with `handler`; resolves to {url, close, seen}. */
async function fake(handler) {
  const seen = [];
  const srv = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => { srv.closeAllConnections?.(); srv.close(r); }),
  };
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** A fake admin that answers health with `version`, and records the rest. */
async function fakeAdmin(version = "0.1.0", routes = {}) {
  return fake((req, res, body) => {
    const path = req.url.split("?")[0];
    if (routes[`${req.method} ${path}`]) return routes[`${req.method} ${path}`](req, res, body);
    if (path === "/__admin/health") return json(res, 200, { status: "ok", version, virtual_time: "2026-12-01T10:00:00+09:00", systems: [], uptime_ms: 1 });
    json(res, 404, { error: "not_found", message: `no route ${path}` });
  });
}

test("supported versions: the current major.minor only", () => {
  assert.equal(isSupportedVersion("0.1.0"), true);
  assert.equal(isSupportedVersion("mynasim 0.1.7"), true);
  assert.equal(isSupportedVersion("0.1.0-dev+g1234"), true);
  assert.equal(isSupportedVersion("0.2.0"), false);
  assert.equal(isSupportedVersion("1.1.0"), false);
  assert.equal(isSupportedVersion("garbage"), false);
});

test("pkcePair: S256 of the verifier, base64url", () => {
  const { codeVerifier, codeChallenge } = pkcePair();
  assert.match(codeVerifier, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(codeChallenge, createHash("sha256").update(codeVerifier).digest("base64url"));
});

test("connect refuses an unsupported version with a typed error", async () => {
  const srv = await fakeAdmin("0.9.0");
  try {
    await assert.rejects(Mynasim.connect({ adminUrl: srv.url }), (e) => {
      assert.ok(e instanceof MynasimVersionError);
      assert.equal(e.version, "0.9.0");
      assert.match(e.message, /not supported/);
      return true;
    });
    const m = await Mynasim.connect({ adminUrl: srv.url, checkVersion: false });
    assert.equal(m.version, "0.9.0");
    await m.stop();
  } finally {
    await srv.close();
  }
});

test("connect: a health without version falls back on the ready file; strict refuses an unknown one", async () => {
  const srv = await fake((req, res) => json(res, 200, { status: "ok", virtual_time: "x", systems: [], uptime_ms: 1 }));
  const dir = mkdtempSync(join(tmpdir(), "mynasim-ready-"));
  try {
    const ready = (version) => {
      const f = join(dir, `ready-${version}.json`);
      writeFileSync(f, JSON.stringify({ urls: { admin: srv.url, app: "https://127.0.0.1:1", sp: "https://127.0.0.1:2", systems: "http://127.0.0.1:3" }, version, ca_file: join(dir, "none"), ports: {}, pid: 1, virtual_time: "" }));
      return f;
    };
    writeFileSync(join(dir, "none"), "not a CA, never used for http");
    const ok = await Mynasim.connect({ readyFile: ready("0.1.3") });
    assert.equal(ok.version, "0.1.3");
    assert.equal(ok.urls.sp, "https://127.0.0.1:2");
    await ok.stop();
    await assert.rejects(Mynasim.connect({ readyFile: ready("0.4.0") }), (e) => e instanceof MynasimVersionError && e.version === "0.4.0");
    const unknown = await Mynasim.connect({ adminUrl: srv.url });
    assert.equal(unknown.version, undefined);
    await unknown.stop();
    await assert.rejects(Mynasim.connect({ adminUrl: srv.url, checkVersion: "strict" }), MynasimVersionError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.close();
  }
});

test("admin errors become MynasimApiError with status, error and message", async () => {
  const srv = await fakeAdmin("0.1.0", {
    "POST /__admin/faults": (req, res) => json(res, 400, { error: "invalid_fault", message: "kind: unknown kind 'x'" }),
    "POST /__admin/worlds": (req, res) => json(res, 429, { error: "world_limit", error_description: "100 worlds" }),
  });
  const m = await Mynasim.connect({ adminUrl: srv.url, adminToken: "s3cret" });
  try {
    await assert.rejects(m.faults.add({ kind: "x", target: "juki" }), (e) => {
      assert.ok(e instanceof MynasimApiError);
      assert.equal(e.status, 400);
      assert.equal(e.error, "invalid_fault");
      assert.equal(e.detail, "kind: unknown kind 'x'");
      return true;
    });
    await assert.rejects(m.worlds.create(), (e) => e instanceof MynasimApiError && e.error === "world_limit" && e.detail === "100 worlds");
    // the bearer token went with every admin call
    assert.ok(srv.seen.every((r) => r.headers.authorization === "Bearer s3cret"));
  } finally {
    await m.stop();
    await srv.close();
  }
});

test("journal filters map to the API's query names; verify fails with the entries", async () => {
  const entries = [{ seq: 7, at: "t", direction: "in", system: "juki", method: "POST", path: "/systems/juki/identify", status: 503, latency_ms: 1, error_code: "MPE4003" }];
  const srv = await fakeAdmin("0.1.0", {
    "GET /__admin/requests/count": (req, res) => json(res, 200, { count: 1, journal: {} }),
    "GET /__admin/requests": (req, res) => json(res, 200, { requests: entries, journal: {} }),
  });
  const m = await Mynasim.connect({ adminUrl: srv.url });
  try {
    assert.equal(await m.journal.count({ system: "juki", clientId: "SP1", telegramId: "TL", processId: "9", status: 503, direction: "in" }), 1);
    const q = new URL(srv.url + srv.seen.at(-1).url).searchParams;
    assert.deepEqual(Object.fromEntries(q), { system: "juki", client_id: "SP1", telegram_id: "TL", process_id: "9", status: "503", direction: "in" });
    await m.journal.verify(1, { system: "juki" });
    await m.journal.verify({ atLeast: 1 }, { system: "juki" });
    await assert.rejects(m.journal.verify(0, { system: "juki" }), (e) => {
      assert.ok(e instanceof VerificationError);
      assert.equal(e.actual, 1);
      assert.equal(e.entries.length, 1);
      assert.match(e.message, /expected 0 .* found 1/);
      assert.match(e.message, /#7 .* POST \/systems\/juki\/identify → 503 MPE4003/);
      return true;
    });
  } finally {
    await m.stop();
    await srv.close();
  }
});

test("authorize: parses the Location (code, state; error → AuthorizationError; page → MynasimApiError)", async () => {
  let mode = "code";
  const app = await fake((req, res) => {
    const u = new URL(req.url, "http://x");
    const cb = u.searchParams.get("redirect_uri");
    const st = u.searchParams.get("state");
    if (mode === "code") res.writeHead(302, { location: `${cb}?code=abc123&state=${st}` });
    else if (mode === "error") res.writeHead(302, { location: `${cb}?error=access_denied&error_description=%E5%88%A9&error_code=MPE1101&state=${st}` });
    else res.writeHead(400, { "content-type": "text/html", "x-mynasim-error-code": "MPE1002" });
    res.end();
  });
  const admin = await fakeAdmin();
  const m = await Mynasim.connect({ adminUrl: admin.url, appUrl: app.url });
  try {
    const r = await m.authorize({ clientId: "SP00000086_AA0003", redirectUri: "http://localhost:3000/callback", persona: "taro", state: "s1", pkce: true });
    assert.equal(r.code, "abc123");
    assert.equal(r.state, "s1");
    assert.ok(r.codeVerifier);
    const q = new URL(app.url + app.seen[0].url).searchParams;
    assert.equal(q.get("mynasim_persona"), "taro");
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.equal(q.get("code_challenge"), createHash("sha256").update(r.codeVerifier).digest("base64url"));
    mode = "error";
    await assert.rejects(m.authorize({ clientId: "SP00000086_AA0003", redirectUri: "http://localhost:3000/callback", persona: "taro", outcome: "refuse", state: "s2" }), (e) => {
      assert.ok(e instanceof AuthorizationError);
      assert.equal(e.error, "access_denied");
      assert.equal(e.errorCode, "MPE1101");
      assert.equal(e.state, "s2");
      assert.equal(e.errorDescription, "利");
      return true;
    });
    mode = "page";
    await assert.rejects(m.authorize({ clientId: "SP00000086_AA0003", redirectUri: "http://evil/", persona: "taro" }), (e) => e instanceof MynasimApiError && e.status === 400 && e.errorCode === "MPE1002");
  } finally {
    await m.stop();
    await app.close();
    await admin.close();
  }
});

test("every call is bounded: a server that never answers gives MynasimConnectionError", async () => {
  const srv = await fake(() => { /* never answers */ });
  const t = new Transport({ timeoutMs: 300 });
  try {
    const t0 = Date.now();
    await assert.rejects(t.request({ method: "GET", url: srv.url + "/x" }), (e) => e instanceof MynasimConnectionError && /within 300 ms/.test(e.message));
    assert.ok(Date.now() - t0 < 3000);
  } finally {
    t.close();
    await srv.close();
  }
});

test("a refused connection is a MynasimConnectionError", async () => {
  const srv = await fake(() => {});
  const url = srv.url;
  await srv.close();
  const t = new Transport({ timeoutMs: 2000 });
  await assert.rejects(t.request({ method: "GET", url: url + "/" }), MynasimConnectionError);
  t.close();
});

// ---- start(): fake binaries ----

function fakeBin(dir, name, script) {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n${script}\n`);
  chmodSync(p, 0o755);
  return p;
}

test("start: missing binary, early exit (with the log's tail), no ready file in time, wrong version", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mynasim-fake-"));
  try {
    await assert.rejects(Mynasim.start({ bin: join(dir, "nope") }), (e) => e instanceof MynasimStartError && /could not run/.test(e.message));

    const dies = fakeBin(dir, "dies", 'echo "mynasim: configuration error: w.yaml:4:3: server.colour: unknown key" >&2; exit 2');
    await assert.rejects(Mynasim.start({ bin: dies }), (e) => {
      assert.ok(e instanceof MynasimStartError);
      assert.match(e.message, /exited with 2/);
      assert.match(e.logTail, /unknown key/);
      return true;
    });

    const slow = fakeBin(dir, "slow", 'echo starting; exec sleep 30');
    const t0 = Date.now();
    await assert.rejects(Mynasim.start({ bin: slow, startTimeoutMs: 700 }), (e) => e instanceof MynasimStartError && /no ready file within 700 ms/.test(e.message) && /starting/.test(e.logTail));
    assert.ok(Date.now() - t0 < 5000);

    // writes a ready file with another version, then waits for SIGTERM
    const old = fakeBin(
      dir,
      "old",
      'while [ $# -gt 0 ]; do [ "$1" = --ready-file ] && f=$2; shift; done\n' +
        `echo '{"urls":{"app":"https://127.0.0.1:1","sp":"https://127.0.0.1:2","admin":"http://127.0.0.1:3","systems":"http://127.0.0.1:4"},"version":"7.3.0","ca_file":"/nonexistent","pid":1,"ports":{},"virtual_time":""}' > "$f"\n` +
        "trap 'exit 0' TERM\nwhile :; do sleep 0.1; done",
    );
    await assert.rejects(Mynasim.start({ bin: old }), (e) => e instanceof MynasimVersionError && e.version === "7.3.0");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

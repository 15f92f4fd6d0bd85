// SPDX-License-Identifier: Apache-2.0
// Integration tests against the real mynasim binary ($MYNASIM_BIN): one simulator for this file.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Mynasim,
  MynasimApiError,
  AuthorizationError,
  VerificationError,
  SUPPORTED_VERSIONS,
} from "../dist/index.js";

const BIN = process.env.MYNASIM_BIN ?? "/work/main/build/release/simulator/mynasim";
const CLIENT = "SP00000086_AA0003";
const CB = "http://localhost:3000/callback";

let sim;
before(async () => {
  sim = await Mynasim.start({ bin: BIN });
});
after(async () => {
  await sim?.stop();
});

test("start: ready file, version, health, urls", async () => {
  assert.match(sim.version, /^0\.1\./, `version ${sim.version} vs ${SUPPORTED_VERSIONS}`);
  assert.ok(sim.owned);
  assert.match(sim.urls.app, /^https:\/\//);
  assert.match(sim.urls.sp, /^https:\/\//);
  assert.match(sim.urls.admin, /^http:\/\//);
  assert.ok(sim.ca && String(sim.ca).includes("BEGIN CERTIFICATE"));
  const h = await sim.health();
  assert.equal(h.status, "ok");
  assert.ok(h.systems.includes("juki"));
});

test("connect to a running simulator (by URLs, CA file; or its ready file) reads and checks its version", async () => {
  const h = await sim.health();
  const byFile = await Mynasim.connect({ readyFile: sim.readyFile });
  assert.equal(byFile.version, sim.version); // from the health answer, else the ready file
  assert.equal(byFile.urls.sp, sim.urls.sp);
  await byFile.stop();
  const other = await Mynasim.connect({ adminUrl: sim.ready.urls.admin, appUrl: sim.ready.urls.app, spUrl: sim.ready.urls.sp, caFile: sim.ready.ca_file });
  try {
    // GET /__admin/health tells the version when this mynasim has it there
    assert.equal(other.version, h.version);
    assert.equal(other.owned, false);
    assert.equal((await other.clock.get()).timezone, "Asia/Tokyo");
    // HTTPS with the CA and SNI: the app's landing page
    const res = await other.transport.request({ method: "GET", url: other.urls.app + "/readyz" });
    assert.equal(res.status, 200);
  } finally {
    assert.equal(await other.stop(), null); // not ours: nothing is stopped
  }
});

test("TLS: the CA is trusted, SNI is sent, and another name is refused", async () => {
  const { Transport, MynasimConnectionError } = await import("../dist/index.js");
  const asLocalhost = new Transport({ ca: sim.ca, serverName: "localhost" });
  const asOther = new Transport({ ca: sim.ca, serverName: "evil.example" });
  const noCa = new Transport({});
  try {
    assert.equal((await asLocalhost.request({ method: "GET", url: sim.urls.sp + "/readyz" })).status, 200);
    await assert.rejects(asOther.request({ method: "GET", url: sim.urls.sp + "/readyz" }), (e) => e instanceof MynasimConnectionError && /evil\.example|altnames|Hostname/i.test(e.message));
    await assert.rejects(noCa.request({ method: "GET", url: sim.urls.app + "/readyz" }), MynasimConnectionError);
  } finally {
    asLocalhost.close();
    asOther.close();
    noCa.close();
  }
});

test("clock: set, freeze, advance, speed, now, wall; reset", async () => {
  let c = await sim.clock.set({ now: "2026-12-19T22:30:00+09:00", frozen: true });
  assert.equal(c.frozen, true);
  assert.equal(c.now, "2026-12-19T22:30:00+09:00");
  c = await sim.clock.advance("PT2H30M");
  assert.equal(c.now, "2026-12-20T01:00:00+09:00");
  assert.equal((await sim.clock.now()).toISOString(), "2026-12-19T16:00:00.000Z");
  c = await sim.clock.speed(60);
  assert.equal(c.speed, 60);
  c = await sim.clock.unfreeze();
  assert.equal(c.frozen, false);
  c = await sim.clock.freeze(new Date("2027-01-04T00:00:00Z"));
  assert.equal(c.now, "2027-01-04T09:00:00+09:00");
  c = await sim.clock.wall();
  assert.equal(c.speed, 1);
  assert.equal(c.frozen, false);
  assert.ok(Math.abs(new Date(c.now).getTime() - Date.now()) < 60_000);
  const r = await sim.reset();
  assert.equal(r.status, "reset");
});

test("every answer's Mynasim-Virtual-Time is tracked", async (t) => {
  await sim.clock.freeze("2026-12-01T10:00:00+09:00");
  await sim.health();
  if (sim.lastVirtualTime === undefined) {
    t.skip("this mynasim does not send Mynasim-Virtual-Time yet");
  } else {
    assert.equal(new Date(sim.lastVirtualTime).getTime(), new Date("2026-12-01T10:00:00+09:00").getTime());
  }
  await sim.reset();
});

test("availability at an instant and a timeline", async () => {
  const a = await sim.availability.at("2026-12-29T10:00:00+09:00");
  const juki = a.systems.find((s) => s.id === "juki");
  assert.equal(juki.up, false);
  assert.equal(juki.reason.code, "planned_outage");
  assert.match(juki.next_change, /^2027-01-04T08:00:00\+09:00/);
  const tl = await sim.availability.timeline({ system: "juki", from: "2026-12-28T00:00:00+09:00", to: "2027-01-05T00:00:00+09:00" });
  assert.equal(tl.system, "juki");
  assert.ok(tl.windows.some((w) => !w.up && w.reason.code === "planned_outage"));
  const all = await sim.availability.timeline({ from: "2026-12-28T00:00:00+09:00", to: "2027-01-05T00:00:00+09:00" });
  assert.ok(all.days_off.some((d) => d.date === "2027-01-01" && d.holiday));
});

test("faults: add, list, remove, clear; a bad one is a typed error", async () => {
  const ids = await sim.faults.add({ kind: "http_error", target: "japan-pension", status: 500, count: 3, id: "pension-500" });
  assert.deepEqual(ids, ["pension-500"]);
  const two = await sim.faults.add([{ kind: "latency", target: "municipal", latency_ms: 10 }, { kind: "down", target: "juki", for: "PT30M" }]);
  assert.equal(two.length, 2);
  const list = await sim.faults.list();
  assert.equal(list.length, 3);
  assert.equal(list.find((f) => f.id === "pension-500").remaining, 3);
  await sim.faults.remove("pension-500");
  assert.equal((await sim.faults.list()).length, 2);
  await sim.faults.clear();
  assert.equal((await sim.faults.list()).length, 0);
  await assert.rejects(sim.faults.add({ kind: "nonsense", target: "juki" }), (e) => {
    assert.ok(e instanceof MynasimApiError);
    assert.equal(e.status, 400);
    assert.ok(e.error);
    assert.ok(e.detail.length > 0, e.message);
    return true;
  });
  await assert.rejects(sim.faults.remove("no-such-fault"), (e) => e instanceof MynasimApiError && e.status === 404);
});

test("scenarios: load a shipped file, YAML text, current, stop", async () => {
  let s = await sim.scenarios.load("year-end-juki.yaml");
  assert.equal(s.scenario, "year-end-juki");
  s = await sim.scenarios.current();
  assert.equal(s.scenario, "year-end-juki");
  assert.ok(s.available.length > 0);
  await sim.scenarios.stop();
  s = await sim.scenarios.loadYaml(
    'name: slow-town\nclock: {start: "2026-12-02T10:00:00+09:00", frozen: true}\nsteps:\n  - at: "2026-12-02T10:00:00+09:00"\n    note: slow municipal\n    add_faults: [{id: slow, kind: latency, target: municipal, latency_ms: 5}]\n',
  );
  assert.equal(s.scenario, "slow-town");
  assert.equal((await sim.clock.get()).now, "2026-12-02T10:00:00+09:00");
  await sim.scenarios.stop();
  assert.equal((await sim.scenarios.current()).scenario, null);
  await assert.rejects(sim.scenarios.load("../../etc/passwd"), (e) => e instanceof MynasimApiError && e.status >= 400);
  await sim.reset();
});

test("authorize: code and state, PKCE, refusing outcomes, error pages", async () => {
  await sim.clock.freeze("2026-12-02T10:00:00+09:00");
  const ok = await sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "taro", state: "xyz", pkce: true });
  assert.ok(ok.code.length > 8);
  assert.equal(ok.state, "xyz");
  assert.ok(ok.codeVerifier);
  assert.ok(ok.location.startsWith(CB + "?"));

  await assert.rejects(sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "taro", outcome: "refuse", state: "s1" }), (e) => {
    assert.ok(e instanceof AuthorizationError, String(e));
    assert.equal(e.error, "access_denied");
    assert.equal(e.errorCode, "MPE1101");
    assert.equal(e.state, "s1");
    return true;
  });
  await assert.rejects(sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "ken", state: "s2" }), (e) => e instanceof AuthorizationError && e.errorCode === "MPE1103");
  await assert.rejects(sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "taro", outcome: "expired_certificate" }), (e) => e instanceof AuthorizationError && e.errorCode === "MPE1104");
  // before a redirect is safe: an error page, not a redirect
  await assert.rejects(sim.authorize({ clientId: CLIENT, redirectUri: "http://evil.example/cb", persona: "taro" }), (e) => e instanceof MynasimApiError && e.status === 400 && e.errorCode === "MPE1002");
  await assert.rejects(sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "nobody" }), (e) => e instanceof MynasimApiError && e.errorCode === "MPE1004");
  await sim.reset();
});

test("journal: find, count with filters, verify, clear", async () => {
  await sim.reset();
  await sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "taro", state: "a" });
  await sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "hanako", state: "b" });
  const path = "/online-authorization-web/oauth/authorize";
  const entries = await sim.journal.find({ path, clientId: CLIENT });
  assert.equal(entries.length, 2);
  assert.equal(entries[0].status, 302);
  assert.equal(await sim.journal.count({ path, clientId: CLIENT, status: 302 }), 2);
  assert.equal(await sim.journal.count({ path, clientId: "SP00000123_BB0001" }), 0);
  assert.equal((await sim.journal.find({ path, limit: 1 })).length, 1);
  await sim.journal.verify(2, { path, clientId: CLIENT });
  await sim.journal.verify({ atLeast: 1, atMost: 5 }, { path });
  await assert.rejects(sim.journal.verify(3, { path, clientId: CLIENT }), (e) => {
    assert.ok(e instanceof VerificationError);
    assert.equal(e.actual, 2);
    assert.equal(e.entries.length, 2);
    assert.match(e.message, /found 2/);
    return true;
  });
  await sim.journal.clear();
  assert.equal(await sim.journal.count({ path }), 0);
});

test("sheets: services, connections, personas — get, put, patch, delete", async () => {
  const svc = await sim.services.get(CLIENT);
  assert.equal(svc.client_id, CLIENT);
  assert.ok(svc.redirect_uris.includes(CB));
  const id = "SP00000999_ZZ0001";
  const created = await sim.services.put(id, {
    provider_name: "テスト信用金庫",
    name: "口座開設",
    purpose: "口座開設",
    items: ["TM00000000000003"],
    redirect_uris: ["http://localhost:4000/cb"],
  });
  assert.equal(created.client_id, id);
  const patched = await sim.services.patch(id, { name: "口座開設（改）" });
  assert.equal(patched.name, "口座開設（改）");
  assert.ok((await sim.services.list()).some((s) => s.client_id === id));
  await assert.rejects(sim.services.put("SP00000999_ZZ0002", { name: "no items" }), (e) => e instanceof MynasimApiError && e.status === 400 && e.error === "invalid_entry");

  await sim.connections.put(id, { notification_url: "http://127.0.0.1:4000/myna/notify" });
  const conn = await sim.connections.patch(id, { notification_url: "http://127.0.0.1:4001/myna/notify" });
  assert.equal(conn.notification_url, "http://127.0.0.1:4001/myna/notify");
  assert.ok((await sim.connections.list()).some((c) => c.client_id === id));
  await sim.connections.delete(id);
  await sim.services.delete(id);
  await assert.rejects(sim.services.get(id), (e) => e instanceof MynasimApiError && e.status === 404);

  const taro = await sim.personas.get("taro");
  assert.equal(taro.card.serial, "MC00000001");
  const states = await sim.personas.list();
  assert.equal(states.find((p) => p.id === "ken").locked, true);
  const p = await sim.personas.patch("jiro", { note: "patched by the node client" });
  assert.equal(p.note, "patched by the node client");
  assert.ok((await sim.changes()).changes.length >= 1);
  await sim.forgetChanges();
  assert.notEqual((await sim.personas.get("jiro")).note, "patched by the node client");
  assert.deepEqual(await sim.personas.accessRecords("taro"), []);
});

test("worlds: create (clock, ttl), a client bound to it, its own clock, delete", async () => {
  const w = await sim.worlds.create({ ttl: "PT10M", clock: "2026-12-29T10:00:00+09:00" });
  try {
    assert.match(w.id, /^[a-z0-9-]+$/);
    assert.ok(w.urls.admin.endsWith(`/worlds/${w.id}`));
    assert.ok(w.urls.app.endsWith(`/worlds/${w.id}`));
    assert.equal((await w.clock.get()).now.slice(0, 16), "2026-12-29T10:00");
    assert.notEqual((await sim.clock.get()).now.slice(0, 16), "2026-12-29T10:00");
    // the world's admin answers with its token; authorize goes through its app URL
    const a = await w.authorize({ clientId: CLIENT, redirectUri: CB, persona: "taro", state: "w" });
    assert.equal(a.state, "w");
    assert.equal(await w.journal.count({ path: "/online-authorization-web/oauth/authorize" }), 1);
    await w.faults.add({ kind: "down", target: "municipal", for: "PT1H" });
    assert.equal((await w.faults.list()).length, 1);
    assert.equal((await sim.faults.list()).length, 0);
    assert.ok((await sim.worlds.list()).some((x) => x.id === w.id));
  } finally {
    await w.delete();
  }
  await assert.rejects(sim.worlds.get(w.id), (e) => e instanceof MynasimApiError && e.status === 404);
  const named = await sim.worlds.create({ id: "node-client-named" });
  await assert.rejects(sim.worlds.create({ id: "node-client-named" }), (e) => e instanceof MynasimApiError && e.status === 409);
  await named.delete();
});

test("conformance: start a run, follow the announced action, verdicts, JUnit report", async () => {
  await sim.reset();
  await sim.clock.set({ now: "2026-12-02T10:00:00+09:00", frozen: false });
  const dir = mkdtempSync(join(tmpdir(), "mynasim-junit-"));
  try {
    const run = await sim.conformance.start({ clientId: CLIENT, plan: "consent-refused" });
    assert.equal(run.state, "running");
    const done = await sim.conformance.wait(run.id, {
      timeoutMs: 30_000,
      onCurrent: async (cur, r) => {
        if (!cur) return;
        assert.equal(cur.test, "consent-refused");
        assert.equal(cur.action, "refuse");
        await assert.rejects(
          sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: r.persona?.id ?? "taro", outcome: "refuse", state: "conf-1" }),
          AuthorizationError,
        );
      },
    });
    assert.equal(done.state, "finished");
    const t = done.tests.find((x) => x.test === "consent-refused");
    assert.equal(t.verdict, "pass", t.detail);
    const xml = await sim.conformance.writeJUnit(run.id, join(dir, "conformance.xml"));
    assert.match(xml, /<testsuite/);
    assert.match(readFileSync(join(dir, "conformance.xml"), "utf8"), /consent-refused/);
    const md = await sim.conformance.report(run.id, "markdown");
    assert.match(md, /consent-refused/);
    assert.equal((await sim.conformance.report(run.id, "json")).id, run.id);
    assert.ok((await sim.conformance.tests()).tests.some((x) => x.id === "partial-result"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await sim.reset();
  }
});

test("conformance with complete_screens: the app's own plain authorize is answered by a redirect", async () => {
  await sim.reset();
  await sim.clock.set({ now: "2026-12-02T10:00:00+09:00", frozen: false });
  try {
    const run = await sim.conformance.start({ clientId: CLIENT, plan: "consent-refused", completeScreens: true });
    const seen = [];
    const done = await sim.conformance.wait(run.id, {
      timeoutMs: 30_000,
      onCurrent: async (cur) => {
        if (!cur) return;
        seen.push(cur.action);
        // no mynasim_persona: what a real app's e2e script does with only an HTTP client
        await assert.rejects(sim.authorize({ clientId: CLIENT, redirectUri: CB, state: "plain-1" }), (e) => {
          assert.ok(e instanceof AuthorizationError, String(e));
          assert.equal(e.error, "access_denied");
          assert.equal(e.state, "plain-1");
          return true;
        });
      },
    });
    assert.deepEqual(seen, ["refuse"]);
    assert.equal(done.tests[0].verdict, "pass", done.tests[0].detail);
    assert.equal(done.summary.pass, 1);
  } finally {
    await sim.reset();
  }
});

test("lint: findings of one API user", async () => {
  const r = await sim.lint(CLIENT);
  assert.equal(r.client_id, CLIENT);
  assert.ok(Array.isArray(r.findings));
  await assert.rejects(sim.lint(""), (e) => e instanceof MynasimApiError && e.status === 400);
});

test("an admin token: calls carry it; without it they are refused", async () => {
  const guarded = await Mynasim.start({ bin: BIN, adminToken: "node-client-token" });
  try {
    assert.equal((await guarded.clock.get()).timezone, "Asia/Tokyo");
    const anon = await Mynasim.connect({ adminUrl: guarded.urls.admin, checkVersion: false }).catch((e) => e);
    assert.ok(anon instanceof MynasimApiError && anon.status === 401, String(anon));
    // a world's client uses the world token: it reaches that world only
    const w = await guarded.worlds.create({ clock: "2026-12-02T10:00:00+09:00" });
    try {
      assert.ok(w.token);
      assert.equal((await w.clock.get()).now.slice(0, 10), "2026-12-02");
      const onlyWorld = await Mynasim.connect({ adminUrl: guarded.urls.admin, adminToken: w.token, checkVersion: false }).catch((e) => e);
      assert.ok(onlyWorld instanceof MynasimApiError && onlyWorld.status === 403, String(onlyWorld));
      const reopened = await guarded.worlds.open(w.id, w.token);
      assert.equal((await reopened.faults.list()).length, 0);
    } finally {
      await w.delete();
    }
  } finally {
    assert.equal(await guarded.stop(), 0);
  }
});

test("fromEnv: connects when MYNASIM_ADMIN_URL is set, else starts MYNASIM_BIN", async () => {
  const saved = { ...process.env };
  try {
    process.env.MYNASIM_ADMIN_URL = sim.ready.urls.admin;
    process.env.MYNASIM_APP_URL = sim.ready.urls.app;
    process.env.MYNASIM_SP_URL = sim.ready.urls.sp;
    process.env.MYNASIM_CA = sim.ready.ca_file;
    const c = await Mynasim.fromEnv();
    assert.equal(c.owned, false);
    assert.equal((await c.authorize({ clientId: CLIENT, redirectUri: CB, persona: "taro", state: "env" })).state, "env");
    await c.stop();
    delete process.env.MYNASIM_ADMIN_URL;
    process.env.MYNASIM_BIN = BIN;
    const s = await Mynasim.fromEnv();
    assert.equal(s.owned, true);
    assert.notEqual(s.urls.admin, sim.urls.admin);
    assert.equal(await s.stop(), 0);
  } finally {
    process.env = saved;
  }
});

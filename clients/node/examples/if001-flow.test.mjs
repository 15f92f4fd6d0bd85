// SPDX-License-Identifier: Apache-2.0
// Integration test of a small API user (./api-user.mjs) against mynasim, the way a bank's CI
// would write it: the IF001 flow with the IF001-05 notification, 住基ネット's year-end stop, a
// partial result, and what reached which system.
//
//   MYNASIM_BIN=/path/to/mynasim node --test examples/if001-flow.test.mjs

import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { Mynasim } from "mynasim";
import { ApiUser, startNotificationEndpoint } from "./api-user.mjs";

// SP00000300_DD0001 (fixtures/services.yaml): 地方税関係情報 (自治体中間サーバ) and
// 医療保険資格情報 (医療保険者等向け中間サーバ for taro); the default world's test persona is taro.
const CLIENT = "SP00000300_DD0001";
const REDIRECT = "http://localhost:3000/callback";
const WEEKDAY_MORNING = "2026-12-02T10:00:00+09:00"; // a Wednesday: every system is up

let sim, notify, bank;

before(async () => {
  sim = await Mynasim.start(); // $MYNASIM_BIN or `mynasim` on PATH, on free ports
  notify = await startNotificationEndpoint();
  // Point the service's IF001-05 notifications at our endpoint (a runtime sheet change: kept by resets).
  await sim.connections.patch(CLIENT, { notification_url: notify.url });
  bank = new ApiUser({ spUrl: sim.urls.sp, clientId: CLIENT, redirectUri: REDIRECT, ca: sim.ca });
});

after(async () => {
  bank?.close();
  await notify?.close();
  await sim?.stop();
});

beforeEach(async () => {
  await sim.reset();
  await sim.clock.set({ now: WEEKDAY_MORNING, frozen: false });
});

/** authorize (non-interactive) → token, with state and PKCE. */
async function login(persona = "taro") {
  const state = `st-${Math.random().toString(36).slice(2)}`;
  const auth = await sim.authorize({ clientId: CLIENT, redirectUri: REDIRECT, persona, state, pkce: true });
  assert.equal(auth.state, state, "the callback's state is the one we sent");
  return bank.token(auth.code, auth.codeVerifier);
}

test("IF001: authorize → token → request → notification → result → data", async () => {
  const token = await login();
  const req = await bank.request(token, "Latest");
  assert.equal(req.status, 200);
  assert.equal(req.errorCode, "");
  assert.match(req.processId, /^\d+$/);

  const note = await notify.waitFor(req.processId, 10_000);
  assert.ok(note, "the IF001-05 notification arrived");
  assert.equal(note.telegramType, "IFA0302-R01");
  assert.equal(note.telegramId, req.telegramId);

  const res = await bank.result(token, req.telegramId, req.processId);
  assert.equal(res.status, 200);
  assert.equal(res.errorCode, "");
  const bodies = Object.assign({}, ...res.data.map((byBody) => Object.values(byBody)).flat());
  assert.equal(bodies["地方税関係情報"].at(-1)["課税年度"], "2025");
  assert.ok(res.providerStatus.every((p) => p.status === "ok"));

  // What reached which system, for this request only.
  await sim.journal.verify(1, { system: "juki", telegramId: req.telegramId, direction: "in" });
  await sim.journal.verify(1, { system: "municipal", telegramId: req.telegramId, direction: "in" });
  await sim.journal.verify(1, { system: "medical-insurers", telegramId: req.telegramId, direction: "in" });
  await sim.journal.verify(0, { system: "japan-pension", telegramId: req.telegramId });
  // The notification, as the journal and the process see it.
  const sent = await sim.journal.notifications({ processId: req.processId });
  assert.equal(sent.length, 1);
  assert.equal(sent[0].status, 200);
  const proc = await sim.processes.get(req.processId);
  assert.equal(proc.notifications.length, 1);
  assert.equal(proc.notifications[0].status, 200);
  // 提供記録
  assert.ok((await sim.personas.accessRecords("taro")).some((r) => r.process_id === req.processId));
});

test("住基ネット's year-end stop: the request is refused with the reopening time", async () => {
  await sim.clock.set({ now: "2026-12-29T10:00:00+09:00", frozen: true });
  const token = await login();
  const req = await bank.request(token, "Latest");
  // The outage is found while processing: IF001-04 is accepted, the result carries the error.
  assert.equal(req.errorCode, "");
  assert.ok(await notify.waitFor(req.processId, 10_000), "notified");
  const res = await bank.result(token, req.telegramId, req.processId);
  assert.equal(res.errorCode, "MPE4003");
  assert.match(res.errorMessage, /住民基本台帳ネットワークシステムは計画停止中です/);
  assert.match(res.errorMessage, /2027-01-04T08:00:00\+09:00に再開予定です/);
  const juki = res.providerStatus.find((p) => p.system === "juki");
  assert.equal(juki.status, "unavailable");
  assert.equal(juki.reopens_at, "2027-01-04T08:00:00+09:00");
  // Nothing reached a 中間サーバ; 住基ネット answered 503 (or was not even asked).
  await sim.journal.verify(0, { system: "municipal", telegramId: req.telegramId });
  const now = (await sim.availability.at()).systems.find((s) => s.id === "juki");
  assert.equal(now.up, false);
  assert.equal(now.next_change, "2027-01-04T08:00:00+09:00");
});

test("a partial result when one 中間サーバ fails", async () => {
  const [faultId] = await sim.faults.add({ kind: "http_error", target: "medical-insurers", status: 503, client_id: CLIENT });
  const token = await login();
  const req = await bank.request(token, "Latest");
  assert.equal(req.errorCode, "");
  assert.ok(await notify.waitFor(req.processId, 10_000), "notified");
  const res = await bank.result(token, req.telegramId, req.processId);
  assert.equal(res.errorCode, "MPE5001");
  const failed = res.providerStatus.find((p) => p.system === "medical-insurers");
  assert.notEqual(failed.status, "ok");
  assert.equal(res.providerStatus.find((p) => p.system === "municipal").status, "ok");
  const bodies = Object.assign({}, ...res.data.map((byBody) => Object.values(byBody)).flat());
  assert.ok(bodies["地方税関係情報"], "the municipal data still arrived");
  assert.equal(bodies["医療保険資格情報"], undefined);
  // the fault shaped exactly the hop to medical-insurers
  const hops = await sim.journal.find({ system: "medical-insurers", telegramId: req.telegramId, direction: "in" });
  assert.equal(hops.length, 1);
  assert.equal(hops[0].status, 503);
  assert.ok(hops[0].faults.includes(faultId));
});

test("without a notification: a bounded poll of IF001-06 still gets the result", async () => {
  await sim.faults.add({ kind: "notification_drop", target: "portal", client_id: CLIENT, count: 1 });
  const token = await login();
  const req = await bank.request(token, "Latest");
  const res = await bank.pollResult(token, req.telegramId, req.processId);
  assert.equal(res.errorCode, "");
  assert.equal(await notify.waitFor(req.processId, 300), null, "no notification came");
  await sim.journal.verify({ atLeast: 1 }, { path: "/online-resource-web/result", telegramId: req.telegramId });
});

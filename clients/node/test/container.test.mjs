// SPDX-License-Identifier: Apache-2.0
// The Testcontainers module against the image mynasim:latest (run by ../test-container.sh,
// which needs a Docker daemon; not part of test.sh).

import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MynasimContainer } from "../dist/testcontainers.js";
import { Mynasim, MynasimApiError } from "../dist/index.js";
import { ApiUser } from "../examples/api-user.mjs";

const IMAGE = process.env.MYNASIM_IMAGE ?? "mynasim:latest";
const FIXTURES = fileURLToPath(new URL("../../../fixtures/", import.meta.url));
const CLIENT = "SP00000300_DD0001";
const CB = "http://localhost:3000/callback";

test("zero-config: start, URLs, CA, client; the IF001 flow over the mapped ports", async () => {
  const c = await new MynasimContainer(IMAGE).start();
  try {
    assert.match(c.getAppUrl(), /^https:\/\/[^/]+:\d+$/);
    assert.match(c.getSpUrl(), /^https:\/\/[^/]+:\d+$/);
    assert.match(c.getAdminUrl(), /^http:\/\/[^/]+:\d+$/);
    const ca = await c.getCaCertificate();
    assert.match(ca, /BEGIN CERTIFICATE/);

    const sim = await c.client();
    assert.match(sim.version, /^0\.1\./); // from the container's ready file
    assert.equal((await sim.health()).status, "ok");
    // the admin listener is bound to 0.0.0.0: without the container's token it is refused
    const anon = await Mynasim.connect({ adminUrl: c.getAdminUrl(), checkVersion: false }).catch((e) => e);
    assert.ok(anon instanceof MynasimApiError && anon.status === 401, String(anon));

    await sim.clock.set({ now: "2026-12-02T10:00:00+09:00", frozen: false });
    const auth = await sim.authorize({ clientId: CLIENT, redirectUri: CB, persona: "taro", state: "tc", pkce: true });
    const bank = new ApiUser({ spUrl: c.getSpUrl(), clientId: CLIENT, redirectUri: CB, ca, serverName: c.getTlsServerName() });
    try {
      const token = await bank.token(auth.code, auth.codeVerifier);
      const req = await bank.request(token, "Latest");
      assert.equal(req.errorCode, "");
      const res = await bank.pollResult(token, req.telegramId, req.processId);
      assert.equal(res.errorCode, "");
      await sim.journal.verify(1, { system: "juki", telegramId: req.telegramId, direction: "in" });
    } finally {
      bank.close();
    }
  } finally {
    await c.stop();
  }
});

test("withClock, withScenario (a local file), withApiUser, withAdminToken, withStartupTimeout", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mynasim-tc-scenario-"));
  const scenario = join(dir, "tc-slow-municipal.yaml");
  writeFileSync(
    scenario,
    "# SPDX-License-Identifier: Apache-2.0\nname: tc-slow-municipal\nsteps:\n" +
      '  - at: "2026-12-29T10:00:00+09:00"\n    add_faults: [{id: tc-slow, kind: latency, target: municipal, latency_ms: 5}]\n',
  );
  const c = await new MynasimContainer(IMAGE)
    .withClock("2026-12-29T10:00:00+09:00", { frozen: true })
    .withApiUser(`${CLIENT}=http://host.docker.internal:4000`)
    .withScenario(scenario)
    .withAdminToken("tc-admin-token")
    .withStartupTimeout(90_000)
    .start();
  try {
    assert.equal(c.getAdminToken(), "tc-admin-token");
    const sim = await c.client();
    assert.equal((await sim.scenarios.current()).scenario, "tc-slow-municipal");
    assert.ok((await sim.faults.list()).some((f) => f.id === "tc-slow"));
    await sim.clock.advance("PT5H");
    await sim.reset();
    // a reset returns to the world's start: the chosen instant
    const clock = await sim.clock.get();
    assert.equal(clock.now.slice(0, 16), "2026-12-29T10:00");
    assert.equal((await sim.availability.at()).systems.find((s) => s.id === "juki").up, false);
    const conn = await sim.connections.get(CLIENT);
    assert.equal(conn.notification_url, "http://host.docker.internal:4000/myna/notify");
    const byToken = await Mynasim.connect({ adminUrl: c.getAdminUrl(), adminToken: "tc-admin-token" });
    await byToken.stop();
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("withWorld: a team's world folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mynasim-tc-world-"));
  try {
    cpSync(FIXTURES, dir, { recursive: true });
    const personas = join(dir, "personas.yaml");
    writeFileSync(personas, readFileSync(personas, "utf8").replace("note: 給与所得者。", "note: チームの世界。給与所得者。"));
    const c = await new MynasimContainer(IMAGE).withWorld(dir).withClock("2026-12-02T10:00:00+09:00").start();
    try {
      const sim = await c.client();
      assert.match((await sim.personas.get("taro")).note, /^チームの世界。/);
      assert.equal((await sim.clock.get()).now.slice(0, 10), "2026-12-02");
    } finally {
      await c.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

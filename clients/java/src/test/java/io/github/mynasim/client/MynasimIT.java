// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real binary ($MYNASIM_BIN): each test starts its own simulator and stops it. */
class MynasimIT {
  static final String CLIENT = "SP00000086_AA0003";
  static final String CB = "http://localhost:3000/callback";
  Mynasim sim;

  static String bin() {
    String b = System.getenv("MYNASIM_BIN");
    return b == null || b.isEmpty() ? "mynasim" : b;
  }

  @BeforeEach
  void start() {
    sim = Mynasim.start(Mynasim.Options.defaults().binary(bin()));
  }

  @AfterEach
  void stop() {
    if (sim != null) {
      sim.close();
    }
  }

  @Test
  void startsOnFreePortsReadsTheVersionAndStopsWithSigterm() {
    assertTrue(sim.started());
    assertTrue(Version.isSupported(sim.version()), sim.version());
    assertTrue(sim.adminUrl().startsWith("http://127.0.0.1:"), sim.adminUrl());
    assertTrue(sim.appUrl().startsWith("https://"), sim.appUrl());
    assertEquals("ok", sim.health().get("status"));
    MynasimProcess p = sim.process();
    assertTrue(p.isAlive());
    assertNotNull(p.caFile());
    assertEquals(0, p.stop(Duration.ofSeconds(10)), "SIGTERM: exit 0");
    assertFalse(p.isAlive());
    MynasimException e = assertThrows(MynasimException.class, () -> sim.health());
    assertEquals(0, e.status());
  }

  @Test
  void startFailureCarriesTheLogTail(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("world.yaml");
    Files.writeString(bad, "server:\n  colour: red\n");
    MynasimException e = assertThrows(MynasimException.class,
        () -> Mynasim.start(Mynasim.Options.defaults().binary(bin()).args("--config", bad.toString())));
    assertEquals("start_failed", e.error());
    assertTrue(e.getMessage().contains("colour"), e.getMessage());
  }

  @Test
  void fromEnvStartsMynasimFromPathOrConnects() {
    // MYNASIM_ADMIN_URL unset: starts `mynasim` from PATH (test.sh puts the binary's folder first)
    try (Mynasim own = Mynasim.fromEnv(Map.of(), Mynasim.Options.defaults())) {
      assertTrue(own.started());
      assertEquals("ok", own.health().get("status"));
    }
    Map<String, String> env = new HashMap<>();
    env.put("MYNASIM_ADMIN_URL", sim.adminUrl());
    env.put("MYNASIM_APP_URL", sim.appUrl());
    env.put("MYNASIM_SP_URL", sim.spUrl());
    env.put("MYNASIM_CA", sim.process().caFile().toString());
    try (Mynasim connected = Mynasim.fromEnv(env, Mynasim.Options.defaults())) {
      assertFalse(connected.started());
      assertEquals(sim.version(), connected.version());
      assertNotNull(connected.authorize(CLIENT, CB, "taro").code(), "TLS to app with MYNASIM_CA");
    }
    assertEquals("ok", sim.health().get("status"), "closing a connected client leaves mynasim running");
  }

  @Test
  void passesExtraArgumentsToServe() {
    try (Mynasim own = Mynasim.start(Mynasim.Options.defaults().binary(bin()).apiUser("http://127.0.0.1:4000"))) {
      assertEquals("http://127.0.0.1:4000/myna/notify", own.connections().get(CLIENT).get("notification_url"));
    }
  }

  @Test
  void usesTheAdminTokenAndEachWorldsOwnToken() {
    try (Mynasim secured = Mynasim.start(Mynasim.Options.defaults().binary(bin()).args("--admin-token", "s3cret"))) {
      assertEquals("s3cret", secured.token(), "--admin-token in args sets the client's token");
      assertEquals("ok", secured.health().get("status"));
      MynasimWorld w = secured.createWorld(WorldOptions.defaults().ttl(Duration.ofMinutes(5)));
      assertNotEquals("s3cret", w.token());
      w.clock().setFrozen(Clock.jst(2026, 12, 29, 10, 0)); // with the world token
      Mynasim noToken = Mynasim.connect(Mynasim.Options.defaults().endpoints(secured.endpoints()).checkVersion(false));
      MynasimException refused = assertThrows(MynasimException.class, () -> noToken.clock().now());
      assertEquals(401, refused.status());
      MynasimException outside = assertThrows(MynasimException.class, () -> Mynasim.connect(
          Mynasim.Options.defaults().endpoints(secured.endpoints()).adminToken(w.token()).checkVersion(false)).faults().list());
      assertEquals(403, outside.status());
      assertEquals("outside_world", outside.error());
      // the lines of `eval "$(mynasim world create --env)"`
      Map<String, String> env = new HashMap<>();
      env.put("MYNASIM_WORLD", w.id());
      env.put("MYNASIM_WORLD_TOKEN", w.token());
      env.put("MYNASIM_ADMIN_URL", w.adminUrl() + "/__admin");
      env.put("MYNASIM_APP_URL", w.appUrl());
      env.put("MYNASIM_SP_URL", w.spUrl());
      env.put("MYNASIM_CA", secured.process().caFile().toString());
      try (Mynasim inWorld = Mynasim.fromEnv(env, Mynasim.Options.defaults())) {
        assertEquals(w.id(), inWorld.id());
        assertEquals(secured.version(), inWorld.version());
        assertEquals(Clock.jst(2026, 12, 29, 10, 0).toInstant(), inWorld.clock().now().toInstant());
        inWorld.authorize(CLIENT, CB, "taro");
        assertEquals(1, w.journal().count(JournalFilter.clientId(CLIENT)));
        assertEquals(403, assertThrows(MynasimException.class, inWorld::delete).status(), "a world token cannot delete");
      }
      w.delete(); // with the global token
    }
  }

  @Test
  void movesTheClock() {
    OffsetDateTime t = OffsetDateTime.parse("2026-12-19T22:30:00+09:00");
    Clock.State s = sim.clock().setFrozen(t);
    assertTrue(s.frozen());
    assertEquals(t.toInstant(), sim.clock().now().toInstant());
    assertEquals(t.plusHours(2).plusMinutes(30).toInstant(), sim.clock().advance("PT2H30M").now().toInstant());
    assertEquals(t.plusHours(3).toInstant(), sim.clock().advance(Duration.ofMinutes(30)).now().toInstant());
    assertEquals(60.0, sim.clock().speed(60).speed());
    assertFalse(sim.clock().unfreeze().frozen());
    assertTrue(sim.clock().freeze().frozen());
    Clock.State wall = sim.clock().wall();
    assertFalse(wall.frozen());
    assertEquals(1.0, wall.speed());
    assertTrue(Math.abs(Duration.between(OffsetDateTime.now(), wall.now()).toSeconds()) < 60);
    assertNotNull(sim.clock().lastSeen(), "every answer carries Mynasim-Virtual-Time");
    MynasimException e = assertThrows(MynasimException.class, () -> sim.clock().advance("two hours"));
    assertEquals(400, e.status());
    assertNotNull(e.error());
  }

  @Test
  void addsListsAndRemovesFaults() {
    String id = sim.faults().add(FaultSpec.httpError("japan-pension", 500).count(3));
    List<String> more = sim.faults().add(List.of(FaultSpec.down("juki", Duration.ofMinutes(30)).id("juki-down"),
        FaultSpec.latency("municipal", 100)));
    assertEquals("juki-down", more.get(0));
    assertEquals(3, sim.faults().list().size());
    assertFalse(sim.availability().isUp("juki", null), "a forced-down system is down now");
    sim.faults().remove(id);
    assertEquals(2, sim.faults().list().size());
    MynasimException missing = assertThrows(MynasimException.class, () -> sim.faults().remove(id));
    assertEquals(404, missing.status());
    sim.faults().clear();
    assertEquals(0, sim.faults().list().size());
    MynasimException bad = assertThrows(MynasimException.class, () -> sim.faults().add(FaultSpec.of("sneeze", "juki")));
    assertEquals(400, bad.status());
    assertEquals("invalid_fault", bad.error());
    assertFalse(bad.message().isEmpty());
  }

  @Test
  void loadsScenariosFromFileAndText() {
    Map<String, Object> st = sim.scenarios().loadFile("year-end-juki.yaml");
    assertEquals("year-end-juki", st.get("scenario"));
    assertEquals("year-end-juki", sim.scenarios().current().get("scenario"));
    sim.scenarios().stop();
    assertNull(sim.scenarios().current().get("scenario"));
    sim.scenarios().loadYaml("name: mine\nclock: {start: \"2026-12-19T22:30:00+09:00\", frozen: true}\nsteps:\n"
        + "  - at: \"2026-12-19T22:30:00+09:00\"\n    add_faults: [{id: slow, kind: latency, target: municipal, latency_ms: 10}]\n");
    assertEquals("mine", sim.scenarios().current().get("scenario"));
    assertEquals(OffsetDateTime.parse("2026-12-19T22:30:00+09:00").toInstant(), sim.clock().now().toInstant());
    MynasimException bad = assertThrows(MynasimException.class, () -> sim.scenarios().loadYaml("steps: 3\n"));
    assertEquals(400, bad.status());
    MynasimException outside = assertThrows(MynasimException.class, () -> sim.scenarios().loadFile("/etc/passwd"));
    assertEquals(403, outside.status());
  }

  @Test
  void findsCountsAndVerifiesTheJournal() {
    sim.journal().clear();
    sim.authorize(CLIENT, CB, "taro");
    sim.authorize(CLIENT, CB, "hanako");
    JournalFilter authorize = JournalFilter.clientId(CLIENT).path("/online-authorization-web/oauth/authorize");
    assertEquals(2, sim.journal().count(authorize));
    List<JournalEntry> found = sim.journal().find(authorize.limit(1));
    assertEquals(1, found.size());
    assertEquals("hanako", found.get(0).persona());
    assertEquals(302, found.get(0).status());
    sim.journal().verify(2, JournalFilter.clientId(CLIENT).status(302));
    sim.journal().verifyNone(JournalFilter.system("juki"));
    JournalVerificationError err = assertThrows(JournalVerificationError.class,
        () -> sim.journal().verify(1, JournalFilter.clientId(CLIENT)));
    assertEquals(2, err.actual());
    assertEquals(2, err.found().size());
    assertTrue(err.getMessage().contains("/online-authorization-web/oauth/authorize"), err.getMessage());
    assertTrue((Long) sim.journal().stats().get("entries") > 0);
    sim.journal().clear();
    assertEquals(0, sim.journal().count(JournalFilter.clientId(CLIENT)));
  }

  @Test
  void editsTheRuntimeSheets() {
    Map<String, Object> svc = sim.services().put("SP00000999_ZZ0001", Map.of("provider_name", "テスト信用金庫",
        "name", "口座開設", "purpose", "口座開設", "items", List.of("TM00000000000003"),
        "redirect_uris", List.of("http://localhost:4000/cb")));
    assertEquals("SP00000999_ZZ0001", svc.get("client_id"));
    assertEquals("口座開設", sim.services().get("SP00000999_ZZ0001").get("name"));
    assertEquals("新しい名前", sim.services().patch("SP00000999_ZZ0001", Map.of("name", "新しい名前")).get("name"));
    assertTrue(sim.services().list().stream().anyMatch(s -> "SP00000999_ZZ0001".equals(s.get("client_id"))));
    Map<String, Object> conn = sim.connections().patch(CLIENT, Map.of("notification_url", "http://127.0.0.1:9/notify"));
    assertEquals("http://127.0.0.1:9/notify", conn.get("notification_url"));
    assertEquals("山田 太郎", sim.personas().get("taro").get("name"));
    sim.services().delete("SP00000999_ZZ0001");
    MynasimException gone = assertThrows(MynasimException.class, () -> sim.services().get("SP00000999_ZZ0001"));
    assertEquals(404, gone.status());
    MynasimException bad = assertThrows(MynasimException.class,
        () -> sim.services().put("SP00000999_ZZ0002", Map.of("colour", "red")));
    assertEquals(400, bad.status());
    assertEquals("invalid_entry", bad.error());
    assertFalse(sim.changes().isEmpty());
  }

  @Test
  void createsWorldsWithTheirOwnClockAndToken() {
    OffsetDateTime yearEnd = OffsetDateTime.parse("2026-12-29T10:00:00+09:00");
    OffsetDateTime june = OffsetDateTime.parse("2026-06-01T12:00:00+09:00");
    sim.clock().setFrozen(june);
    MynasimWorld w = sim.createWorld(WorldOptions.defaults().ttl(Duration.ofMinutes(5)).clock(yearEnd));
    assertNotNull(w.id());
    assertNotNull(w.token(), "the world's token");
    assertTrue(w.adminUrl().endsWith("/worlds/" + w.id()), w.adminUrl());
    assertTrue(w.appUrl().endsWith("/worlds/" + w.id()), w.appUrl());
    assertEquals(yearEnd.toInstant().getEpochSecond(), w.clock().now().toInstant().getEpochSecond(), 5);
    w.clock().advance("PT1H");
    assertEquals(june.toInstant(), sim.clock().now().toInstant(), "the default world's clock is untouched");
    assertNotEquals(w.clock().now().toLocalDate(), sim.clock().now().toLocalDate());
    assertFalse(w.availability().isUp("juki", null), "住基ネット stops at the year end");
    w.faults().add(FaultSpec.latency("municipal", 1));
    assertEquals(1, w.faults().list().size());
    assertEquals(0, sim.faults().list().size());
    Authorization a = w.authorize(CLIENT, CB, "taro");
    assertNotNull(a.code());
    assertEquals(1, w.journal().count(JournalFilter.clientId(CLIENT)));
    assertEquals(0, sim.journal().count(JournalFilter.clientId(CLIENT)));
    assertTrue(((Number) sim.worlds().get("count")).intValue() >= 1);
    w.delete();
    MynasimException gone = assertThrows(MynasimException.class, () -> w.clock().now());
    assertTrue(gone.status() == 404 || gone.status() == 401 || gone.status() == 403, gone.toString());
  }

  @Test
  void answersAvailabilityAndTimelines() {
    OffsetDateTime at = OffsetDateTime.parse("2026-12-29T10:00:00+09:00");
    assertFalse(sim.availability().isUp("juki", at));
    Map<String, Object> a = sim.availability().at(at);
    assertTrue(Json.asList(a.get("systems")).size() >= 15);
    Map<String, Object> tl = sim.availability().timeline("juki", OffsetDateTime.parse("2026-12-28T00:00:00+09:00"),
        OffsetDateTime.parse("2027-01-05T00:00:00+09:00"));
    assertEquals("juki", tl.get("system"));
    assertFalse(Json.asList(tl.get("windows")).isEmpty());
  }

  @Test
  void authorizesWithoutScreens() {
    Pkce pkce = Pkce.generate();
    Authorization a = sim.authorize(AuthorizeRequest.of(CLIENT, CB).persona("taro").state("st-1").pkce(pkce));
    assertFalse(a.code().isEmpty());
    assertEquals("st-1", a.state());
    assertTrue(a.location().startsWith(CB + "?"));
    AuthorizationException refused = assertThrows(AuthorizationException.class,
        () -> sim.authorize(AuthorizeRequest.of(CLIENT, CB).persona("taro").outcome("refuse").state("st-2")));
    assertEquals("access_denied", refused.error());
    assertEquals("MPE1101", refused.errorCode());
    assertEquals("st-2", refused.state());
    AuthorizationException locked = assertThrows(AuthorizationException.class,
        () -> sim.authorize(AuthorizeRequest.of(CLIENT, CB).persona("ken")));
    assertEquals("MPE1103", locked.errorCode());
    AuthorizationException unknown = assertThrows(AuthorizationException.class,
        () -> sim.authorize(AuthorizeRequest.of(CLIENT, CB).persona("nobody")));
    assertEquals(400, unknown.status());
    assertEquals("MPE1004", unknown.errorCode());
    AuthorizationException mismatch = assertThrows(AuthorizationException.class,
        () -> sim.authorize(AuthorizeRequest.of(CLIENT, "http://evil.example/cb").persona("taro")));
    assertEquals("MPE1002", mismatch.errorCode());
  }

  @Test
  void runsAConformanceTestAndWritesJunit(@TempDir Path dir) throws Exception {
    ConformanceRun run = sim.conformance().start(CLIENT,
        Conformance.RunOptions.plan("consent-refused").completeScreens(true));
    assertEquals("running", run.state());
    run = sim.conformance().awaitCurrent(run.id(), Duration.ofSeconds(10));
    assertEquals("refuse", run.current().get("action"));
    // complete_screens: the app's own plain authorize (no mynasim_persona) is answered at once
    AuthorizationException refused = assertThrows(AuthorizationException.class,
        () -> sim.authorize(AuthorizeRequest.of(CLIENT, CB).state("app-state")));
    assertEquals("access_denied", refused.error());
    ConformanceRun done = sim.conformance().awaitFinished(run.id(), Duration.ofSeconds(20));
    assertEquals(Map.of("consent-refused", "pass"), done.verdicts(), done.toString());
    assertTrue(done.passed());
    Path xml = sim.conformance().writeJunit(run.id(), dir.resolve("reports/conformance.xml"));
    String text = Files.readString(xml);
    assertTrue(text.startsWith("<?xml"), text);
    assertTrue(text.contains("name=\"consent-refused\""), text);
    assertTrue(sim.conformance().report(run.id(), "markdown").contains("consent-refused"));
    MynasimException twice = assertThrows(MynasimException.class, () -> sim.conformance().report(done.id(), "pdf"));
    assertEquals(400, twice.status());
  }

  @Test
  void resetPutsTheWorldBack() {
    sim.clock().setFrozen(OffsetDateTime.parse("2026-12-29T10:00:00+09:00"));
    sim.faults().add(FaultSpec.latency("municipal", 1));
    sim.authorize(CLIENT, CB, "taro");
    sim.reset();
    assertEquals(0, sim.faults().list().size());
    assertEquals(0, sim.journal().count(JournalFilter.clientId(CLIENT)));
    assertFalse(sim.clock().get().frozen());
  }

  @Test
  void typedErrorsForUnknownThings() {
    MynasimException w = assertThrows(MynasimException.class, () -> sim.world("no-such-world"));
    assertEquals(404, w.status());
    MynasimException p = assertThrows(MynasimException.class, () -> sim.process("12345"));
    assertEquals(404, p.status());
    assertNotNull(p.error());
  }
}

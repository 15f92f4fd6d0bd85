// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.mynasim.client.Authorization;
import io.github.mynasim.client.AuthorizeRequest;
import io.github.mynasim.client.Clock;
import io.github.mynasim.client.FaultSpec;
import io.github.mynasim.client.Json;
import io.github.mynasim.client.JournalEntry;
import io.github.mynasim.client.JournalFilter;
import io.github.mynasim.client.Mynasim;
import io.github.mynasim.client.Pkce;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The IF001 flow of a small API user ({@link ApiUserClient}) against the real simulator: authorize
 * (no screens) → token → IF001-04 → IF001-05 notification or polled IF001-06 → data; the year-end
 * stop of 住基ネット; a partial result; what reached which system, by count.
 */
class ApiUserFlowIT {
  static final String CB = "http://localhost:3000/callback";
  Mynasim sim;

  @BeforeEach
  void start() {
    sim = Mynasim.fromEnv(); // MYNASIM_ADMIN_URL unset in test.sh: starts MYNASIM_BIN on free ports
    // a Wednesday morning, when every 中間サーバ is open
    sim.clock().setFrozen(Clock.jst(2026, 12, 9, 11, 0));
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  /** authorize (PKCE, state) → token, as the API user's back end does after the callback. */
  private String login(ApiUserClient app, String clientId, String persona) {
    Pkce pkce = Pkce.generate();
    String state = UUID.randomUUID().toString();
    Authorization a = sim.authorize(AuthorizeRequest.of(clientId, CB).persona(persona).state(state).pkce(pkce));
    assertEquals(state, a.state(), "the callback's state is the one we sent");
    return app.token(a.code(), pkce.verifier());
  }

  @Test
  void happyPathWithTheNotification() throws Exception {
    String client = "SP00000086_AA0003";
    try (NotificationReceiver inbox = new NotificationReceiver()) {
      sim.connections().patch(client, Map.of("notification_url", inbox.url()));
      ApiUserClient app = new ApiUserClient(sim.transport(), sim.spUrl(), client, CB);
      String token = login(app, client, "taro");

      ApiUserClient.Telegram req = app.request(token, "Latest");
      assertEquals(200, req.httpStatus, req.toString());
      assertEquals("", req.errorCode());
      Map<String, Object> note = inbox.await(10_000);
      assertNotNull(note, "IF001-05 within 10 s");
      assertEquals("IFA0302-R01", note.get("telegramType"));
      assertEquals(req.processId(), note.get("processId"));

      ApiUserClient.Telegram res = app.result(token, req);
      assertEquals("", res.errorCode(), res.toString());
      String data = Json.write(res.data());
      assertTrue(data.contains("地方税関係情報"), data);

      // what reached which system
      sim.journal().verify(1, JournalFilter.system("juki").direction("in"));
      sim.journal().verify(1, JournalFilter.system("municipal").direction("in"));
      sim.journal().verifyNone(JournalFilter.system("japan-pension"));
      sim.journal().verify(1, JournalFilter.clientId(client).path("/online-resource-web/request"));
      List<JournalEntry> notes = sim.notifications(client);
      assertEquals(1, notes.size(), notes.toString());
      assertEquals(200, notes.get(0).status(), "our endpoint acknowledged");
      assertEquals(1, Json.asList(sim.process(req.processId()).get("notifications")).size());
      assertEquals(1, sim.accessRecords("taro").size());
    }
  }

  @Test
  void pollsWithABoundedBackoffWithoutANotificationEndpoint() throws Exception {
    String client = "SP00000086_AA0004";
    ApiUserClient app = new ApiUserClient(sim.transport(), sim.spUrl(), client, CB);
    String token = login(app, client, "taro");
    ApiUserClient.Telegram req = app.request(token, "Date=20250701");
    ApiUserClient.Telegram res = app.pollResult(token, req, Duration.ofMillis(100), Duration.ofSeconds(15));
    assertEquals("", res.errorCode(), res.toString());
    assertTrue(Json.write(res.data()).contains("山田 太郎"), res.toString());
  }

  @Test
  void yearEndStopOfJukiNamesTheReopening() throws Exception {
    sim.clock().setFrozen(Clock.jst(2026, 12, 29, 10, 0));
    String client = "SP00000086_AA0003";
    ApiUserClient app = new ApiUserClient(sim.transport(), sim.spUrl(), client, CB);
    String token = login(app, client, "taro");
    ApiUserClient.Telegram req = app.request(token, "Latest");
    ApiUserClient.Telegram res = app.pollResult(token, req, Duration.ofMillis(100), Duration.ofSeconds(15));
    assertEquals("MPE4003", res.errorCode(), res.toString());
    assertTrue(res.errorMessage().contains("2027-01-04T08:00:00+09:00"), res.errorMessage());
    Map<String, Object> juki = holder(res, "juki");
    assertEquals("unavailable", juki.get("status"));
    assertEquals("2027-01-04T08:00:00+09:00", juki.get("reopens_at"));
    sim.journal().verifyNone(JournalFilter.system("municipal").direction("in"));
  }

  @Test
  void partialResultWhenOneIntermediateServerFails() throws Exception {
    String client = "SP00000200_CC0001"; // items on 日本年金機構, 国共済, 自治体, … 中間サーバ
    sim.faults().add(FaultSpec.httpError("japan-pension", 500).clientId(client));
    ApiUserClient app = new ApiUserClient(sim.transport(), sim.spUrl(), client, CB);
    String token = login(app, client, "ichiro");
    ApiUserClient.Telegram req = app.request(token, "Latest");
    ApiUserClient.Telegram res = app.pollResult(token, req, Duration.ofMillis(100), Duration.ofSeconds(15));
    assertEquals("MPE5001", res.errorCode(), res.toString());
    assertEquals("error", holder(res, "japan-pension").get("status"));
    assertEquals("ok", holder(res, "national-gov-mutual").get("status"));
    String data = Json.write(res.data());
    assertTrue(data.contains("国家公務員共済組合連合会"), data);
    assertTrue(!data.contains("老齢基礎年金"), "the failing holder's data is missing");
    sim.journal().verify(1, JournalFilter.system("japan-pension").direction("in").status(500));
    sim.journal().verify(1, JournalFilter.system("national-gov-mutual").direction("in").status(200));
  }

  private static Map<String, Object> holder(ApiUserClient.Telegram t, String system) {
    Map<String, Object> out = new HashMap<>();
    for (Object o : t.providerStatus()) {
      Map<String, Object> m = Json.asMap(o);
      if (system.equals(m.get("system"))) {
        out.putAll(m);
      }
    }
    assertTrue(!out.isEmpty(), "providerStatus names " + system + ": " + t);
    return out;
  }
}

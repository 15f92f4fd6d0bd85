// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Logic that needs no simulator: URLs, versions, redirects, errors, readiness (against a stub server). */
class ClientUnitTest {
  private HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private String serve(String path, int[] statuses, String[] bodies, AtomicReference<String> authSeen) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger n = new AtomicInteger();
    server.createContext(path, ex -> {
      if (authSeen != null) {
        authSeen.set(ex.getRequestHeaders().getFirst("Authorization"));
      }
      int i = Math.min(n.getAndIncrement(), statuses.length - 1);
      byte[] b = bodies[i].getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.getResponseHeaders().add("Mynasim-Virtual-Time", "2026-12-29T10:00:00+09:00");
      ex.sendResponseHeaders(statuses[i], b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Test
  void buildsUrlsFromHostAndMappedPorts() {
    Endpoints e = Endpoints.of("localhost", 32768, 32769, 32770, 32771);
    assertEquals("https://localhost:32768", e.app());
    assertEquals("https://localhost:32769", e.sp());
    assertEquals("http://localhost:32770", e.admin());
    assertEquals("http://localhost:32771", e.systems());
    assertEquals("http://[::1]:8081", Endpoints.of("::1", 1, 2, 8081, 0).admin());
    assertNull(Endpoints.of("h", 1, 2, 3, 0).systems());
    assertThrows(IllegalArgumentException.class, () -> Endpoints.of("h", 0, 2, 3, 4));
    assertThrows(IllegalArgumentException.class, () -> Endpoints.of("", 1, 2, 3, 4));
    Endpoints w = e.world("qa-1");
    assertEquals("https://localhost:32768/worlds/qa-1", w.app());
    assertEquals("http://localhost:32770/worlds/qa-1", w.admin());
    assertEquals(new Endpoints("https://a/", "https://s", "http://m/", null), new Endpoints("https://a", "https://s", "http://m", null));
  }

  @Test
  void writesInstantsWithSeconds() {
    assertEquals("2026-12-29T10:00:00+09:00", Clock.format(Clock.jst(2026, 12, 29, 10, 0)));
    assertEquals("{\"clock\":\"2026-12-29T10:00:00+09:00\"}", Json.write(WorldOptions.defaults().clock(Clock.jst(2026, 12, 29, 10, 0)).toMap()));
  }

  @Test
  void knowsTheSupportedVersions() {
    assertTrue(Version.isSupported("0.1.0"));
    assertTrue(Version.isSupported("mynasim 0.1.7 (abc)"));
    assertFalse(Version.isSupported("0.2.0"));
    assertFalse(Version.isSupported("1.1.0"));
    assertFalse(Version.isSupported("unknown"));
    assertFalse(Version.isSupported(null));
    assertEquals(">=0.1.0 <0.2.0", Version.range());
    UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class, () -> Version.require("0.9.1"));
    assertEquals("0.9.1", e.version());
    assertEquals("unsupported_version", e.error());
    assertTrue(e.getMessage().contains(">=0.1.0 <0.2.0"), e.getMessage());
  }

  @Test
  void readsTheAuthorizeRedirect() {
    Authorization a = Authorization.fromRedirect(302, "http://localhost:3000/callback?code=abc%2B1&state=x%20y", null, "");
    assertEquals("abc+1", a.code());
    assertEquals("x y", a.state());
    AuthorizationException e = assertThrows(AuthorizationException.class, () -> Authorization.fromRedirect(302,
        "http://localhost:3000/callback?error=access_denied&error_description=%E5%88%A9&error_code=MPE1101&state=s", null, ""));
    assertEquals("access_denied", e.error());
    assertEquals("MPE1101", e.errorCode());
    assertEquals("s", e.state());
    assertEquals("利", e.message());
    AuthorizationException page = assertThrows(AuthorizationException.class,
        () -> Authorization.fromRedirect(400, null, "MPE1002", "<html><p>リダイレクトURIが一致しません</p></html>"));
    assertEquals(400, page.status());
    assertEquals("MPE1002", page.errorCode());
    assertTrue(page.getMessage().contains("リダイレクトURI"), page.getMessage());
    assertThrows(AuthorizationException.class, () -> Authorization.fromRedirect(302, "http://x/cb?state=1", null, ""));
  }

  @Test
  void buildsAuthorizeQueriesWithPkce() {
    Pkce p = Pkce.of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    assertEquals("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", p.challenge()); // RFC 7636 appendix B
    assertEquals(43, Pkce.generate().verifier().length());
    Map<String, Object> q = AuthorizeRequest.of("SP00000086_AA0003", "http://localhost:3000/callback")
        .persona("taro").outcome("refuse").state("s").pkce(p).toParams();
    assertEquals("code", q.get("response_type"));
    assertEquals("S256", q.get("code_challenge_method"));
    assertEquals("taro", q.get("mynasim_persona"));
    assertEquals("refuse", q.get("mynasim_outcome"));
    assertEquals("?a=x%20y&c=%2F%26", Admin.query(Admin.params("a", "x y", "b", null, "c", "/&")));
  }

  @Test
  void turnsAdminErrorsIntoTypedExceptions() throws IOException {
    String base = serve("/__admin/faults", new int[] {400},
        new String[] {"{\"error\":\"invalid_fault\",\"message\":\"faults[0].kind: unknown kind 'x'\"}"}, null);
    Admin admin = new Admin(new Transport(null, Duration.ofSeconds(5)), base, null);
    MynasimException e = assertThrows(MynasimException.class, () -> new Faults(admin).add(FaultSpec.of("x", "juki")));
    assertEquals(400, e.status());
    assertEquals("invalid_fault", e.error());
    assertEquals("faults[0].kind: unknown kind 'x'", e.message());
    assertTrue(e.getMessage().startsWith("POST /__admin/faults: 400 invalid_fault: "), e.getMessage());
  }

  @Test
  void readsErrorDescriptionAndNonJsonErrors() {
    Transport.Response r = new Transport.Response(400,
        java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true), "{\"error\":\"invalid_grant\",\"error_description\":\"期限切れ\"}");
    MynasimException e = Transport.errorOf("POST /token", r);
    assertEquals("invalid_grant", e.error());
    assertEquals("期限切れ", e.message());
    Transport.Response t = new Transport.Response(502, java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true), "Bad gateway");
    MynasimException e2 = Transport.errorOf("GET /x", t);
    assertEquals("http_502", e2.error());
    assertEquals("Bad gateway", e2.message());
  }

  @Test
  void sendsTheTokenAndReadsTheVirtualTimeHeader() throws IOException {
    AtomicReference<String> auth = new AtomicReference<>();
    String base = serve("/__admin/clock", new int[] {200},
        new String[] {"{\"now\":\"2026-12-29T10:00:00+09:00\",\"speed\":1,\"frozen\":true,\"timezone\":\"Asia/Tokyo\"}"}, auth);
    Admin admin = new Admin(new Transport(null, Duration.ofSeconds(5)), base, "secret");
    Clock c = new Clock(admin);
    Clock.State s = c.get();
    assertTrue(s.frozen());
    assertEquals(Clock.jst(2026, 12, 29, 10, 0), s.now());
    assertEquals("Bearer secret", auth.get());
    assertEquals(Clock.jst(2026, 12, 29, 10, 0), c.lastSeen());
  }

  @Test
  void waitsForReadinessBounded() throws IOException {
    String base = serve("/readyz", new int[] {503, 503, 200},
        new String[] {"{\"status\":\"not ready\"}", "{\"status\":\"not ready\"}", "{\"status\":\"ready\"}"}, null);
    Readiness.await(base, Duration.ofSeconds(5), Duration.ofMillis(10));
    stop();
    String never = serve("/readyz", new int[] {503}, new String[] {"{\"status\":\"not ready\"}"}, null);
    long t0 = System.nanoTime();
    MynasimException e = assertThrows(MynasimException.class,
        () -> Readiness.await(never, Duration.ofMillis(300), Duration.ofMillis(20)));
    assertEquals("timeout", e.error());
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
  }

  @Test
  void connectRefusesAnUnsupportedVersion() throws IOException {
    String base = serve("/__admin/health", new int[] {200},
        new String[] {"{\"status\":\"ok\",\"version\":\"0.2.0\",\"virtual_time\":\"2026-12-29T10:00:00+09:00\"}"}, null);
    UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class,
        () -> Mynasim.connect(Mynasim.Options.defaults().endpoints(new Endpoints(null, null, base, null))));
    assertEquals("0.2.0", e.version());
    Mynasim m = Mynasim.connect(Mynasim.Options.defaults().checkVersion(false).endpoints(new Endpoints(null, null, base, null)));
    assertFalse(m.started());
    m.close();
  }

  @Test
  void startFailsClearlyWithoutABinary() {
    MynasimException e = assertThrows(MynasimException.class,
        () -> Mynasim.start(Mynasim.Options.defaults().binary("/nonexistent/mynasim")));
    assertEquals("start_failed", e.error());
  }

  @Test
  void buildsFaultsAndFilters() {
    assertEquals("{\"kind\":\"http_error\",\"target\":\"japan-pension\",\"status\":500,\"count\":3}",
        FaultSpec.httpError("japan-pension", 500).count(3).toString());
    assertEquals("{\"kind\":\"down\",\"target\":\"juki\",\"for\":\"PT30M\"}",
        FaultSpec.down("juki", Duration.ofMinutes(30)).toString());
    JournalFilter f = JournalFilter.system("juki").direction("in").limit(5).withoutBodies();
    assertEquals(Map.of("system", "juki", "direction", "in"), f.countParams());
    assertEquals(List.of("system", "direction", "limit", "bodies"), List.copyOf(f.toParams().keySet()));
  }
}

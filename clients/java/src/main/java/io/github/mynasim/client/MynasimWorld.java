// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One world of a mynasim — the default world ({@link Mynasim} itself) or a named one ({@link
 * Mynasim#createWorld}) — with its own clock, faults, scenario, journal, sheets, processes and
 * conformance runs. Every call goes to that world's base URLs ({@code /worlds/{id}/…} for a named
 * world, with the world's token when it has one).
 */
public class MynasimWorld {
  final Transport transport;
  final Endpoints endpoints;
  final Admin admin;
  private final String id;
  private final String token;
  private final Admin processAdmin;
  private final Clock clock;
  private final Faults faults;
  private final Scenarios scenarios;
  private final Journal journal;
  private final Availability availability;
  private final Conformance conformance;

  MynasimWorld(Transport transport, Endpoints endpoints, String id, String token, Admin processAdmin) {
    this.transport = transport;
    this.endpoints = endpoints;
    this.id = id;
    this.token = token;
    this.admin = new Admin(transport, endpoints.admin(), token);
    this.processAdmin = processAdmin == null ? admin : processAdmin;
    this.clock = new Clock(admin);
    this.faults = new Faults(admin);
    this.scenarios = new Scenarios(admin);
    this.journal = new Journal(admin);
    this.availability = new Availability(admin);
    this.conformance = new Conformance(admin);
  }

  /** The world's id, or null for the default world. */
  public String id() {
    return id;
  }

  /** The world's base URLs. */
  public Endpoints endpoints() {
    return endpoints;
  }

  /** The app (browser side) base URL, e.g. {@code https://localhost:8443/worlds/w-…}. */
  public String appUrl() {
    return endpoints.app();
  }

  /** The sp (server side) base URL. */
  public String spUrl() {
    return endpoints.sp();
  }

  /** The admin base URL (append {@code /__admin/…}). */
  public String adminUrl() {
    return endpoints.admin();
  }

  public String systemsUrl() {
    return endpoints.systems();
  }

  /** The bearer token used for this world's admin calls (a world token, the global one, or null). */
  public String token() {
    return token;
  }

  /** The HTTP transport (its TLS trusts the simulator's CA): reuse it for your own app/sp calls in tests. */
  public Transport transport() {
    return transport;
  }

  public Clock clock() {
    return clock;
  }

  public Faults faults() {
    return faults;
  }

  public Scenarios scenarios() {
    return scenarios;
  }

  public Journal journal() {
    return journal;
  }

  public Availability availability() {
    return availability;
  }

  public Conformance conformance() {
    return conformance;
  }

  /** サービス情報設定シート entries at runtime. */
  public Sheet services() {
    return new Sheet(admin, "services");
  }

  /** 接続情報設定シート entries (notification URL, client certificate, allowed sources). */
  public Sheet connections() {
    return new Sheet(admin, "connections");
  }

  /** テストデータ設定シート entries ({@link Sheet#list()} shows each card's state now). */
  public Sheet personas() {
    return new Sheet(admin, "personas");
  }

  /** POST /__admin/reset: the world back to how it was loaded (runtime sheet changes stay). */
  public Map<String, Object> reset() {
    return admin.call("POST", "/__admin/reset", null);
  }

  /** GET /__admin/config: the effective world. */
  public Map<String, Object> config() {
    return admin.get("/__admin/config");
  }

  /** GET /__admin/health. */
  public Map<String, Object> health() {
    return admin.get("/__admin/health");
  }

  /** The newest IF001-04 processes (newest first, 1 … 200). */
  public List<Map<String, Object>> processes(int limit) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : Json.asList(admin.get("/__admin/processes" + Admin.query(Admin.params("limit", limit))).get("processes"))) {
      out.add(Json.asMap(o));
    }
    return out;
  }

  /** One process: inquiry, provider_status per holder, every notification attempt. */
  public Map<String, Object> process(String processId) {
    return admin.get("/__admin/processes/" + Admin.enc(processId));
  }

  /**
   * The IF001-05 notifications sent to an API user, from the journal (entries the portal sent
   * out carrying an {@code IFA0302-R01} telegram).
   */
  public List<JournalEntry> notifications(String clientId) {
    return journal.notifications(clientId);
  }

  /** 提供記録 of a persona: which service obtained which items when. */
  public List<Map<String, Object>> accessRecords(String persona) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : Json.asList(admin.get("/__admin/personas/" + Admin.enc(persona) + "/access-records").get("access_records"))) {
      out.add(Json.asMap(o));
    }
    return out;
  }

  /** Every card back to its definition. */
  public void resetCards() {
    admin.call("POST", "/__admin/cards/reset", null);
  }

  /** One card back to its definition (unlock). */
  public Map<String, Object> resetCard(String serial) {
    return admin.call("POST", "/__admin/cards/" + Admin.enc(serial) + "/reset", null);
  }

  /** The conformance lint of one API user. */
  public Map<String, Object> lint(String clientId) {
    return admin.get("/__admin/lint" + Admin.query(Admin.params("client_id", clientId)));
  }

  /** The runtime sheet changes in force. */
  public Map<String, Object> changes() {
    return admin.get("/__admin/changes");
  }

  /** Forgets every runtime change (but --api-user's) and reloads the files. */
  public Map<String, Object> forgetChanges() {
    return admin.call("DELETE", "/__admin/changes", null);
  }

  /** Re-reads the world files. */
  public Map<String, Object> reload() {
    return admin.call("POST", "/__admin/reload", null);
  }

  /**
   * IF001-01 without screens: GETs the app's authorize with {@code mynasim_persona} (and {@code
   * mynasim_outcome}), does not follow the redirect, and reads its Location.
   *
   * @throws AuthorizationException for a refusing outcome ({@code error}, e.g. access_denied, with
   *     the errorCode) or an error page
   */
  public Authorization authorize(AuthorizeRequest request) {
    if (endpoints.app() == null) {
      throw new MynasimException(0, "no_app_url", "the app URL of this mynasim is not known");
    }
    String url = endpoints.app() + "/online-authorization-web/oauth/authorize" + Admin.query(request.toParams());
    Transport.Response r = transport.send("GET", url, null, null);
    return Authorization.fromRedirect(r.status, r.header("Location"), r.header("X-Mynasim-Error-Code"), r.body);
  }

  /** Authorizes a persona's consent. */
  public Authorization authorize(String clientId, String redirectUri, String persona) {
    return authorize(AuthorizeRequest.of(clientId, redirectUri).persona(persona));
  }

  /** Removes this named world and everything it owns (the default world cannot be removed). */
  public void delete() {
    if (id == null) {
      throw new MynasimException(0, "default_world", "the default world cannot be deleted");
    }
    processAdmin.call("DELETE", "/__admin/worlds/" + Admin.enc(id), null);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + (id == null ? "default world" : "world " + id) + ", " + endpoints + "}";
  }
}

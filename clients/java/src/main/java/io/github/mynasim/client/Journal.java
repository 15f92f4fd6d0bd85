// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/** A world's journal ({@code /__admin/requests}): every request into every system, the hops, the notifications. */
public final class Journal {
  /** How many entries a failed {@link #verify} shows. */
  public static final int VERIFY_SHOWN = 50;
  /** The journal's {@code system} of what the portal sends to API users (the IF001-05 notifications). */
  public static final String API_USER_SYSTEM = "api-user";
  private final Admin admin;

  Journal(Admin admin) {
    this.admin = admin;
  }

  /** The entries matching (newest last). */
  public List<JournalEntry> find(JournalFilter filter) {
    Map<String, Object> r = admin.get("/__admin/requests" + Admin.query(filter.toParams()));
    List<JournalEntry> out = new ArrayList<>();
    for (Object o : Json.asList(r.get("requests"))) {
      out.add(new JournalEntry(Json.asMap(o)));
    }
    return out;
  }

  /** Every entry (as far as the journal's bounds kept them). */
  public List<JournalEntry> all() {
    return find(JournalFilter.all());
  }

  /** How many entries match (GET /__admin/requests/count; {@code limit} is ignored). */
  public long count(JournalFilter filter) {
    return Json.num(admin.get("/__admin/requests/count" + Admin.query(filter.countParams())), "count", -1);
  }

  /** The journal's bounds and use: entries, bytes, dropped, max_entries, max_bytes. */
  public Map<String, Object> stats() {
    return Json.asMap(admin.get("/__admin/requests/count").get("journal"));
  }

  /**
   * Like WireMock's {@code verify(n, …)}: asserts that exactly {@code n} entries match, else throws
   * a {@link JournalVerificationError} listing the entries that do.
   */
  public void verify(long n, JournalFilter filter) {
    check("exactly " + n, n, c -> c == n, filter);
  }

  /** Asserts that at least {@code n} entries match. */
  public void verifyAtLeast(long n, JournalFilter filter) {
    check("at least " + n, n, c -> c >= n, filter);
  }

  /** Asserts that no entry matches. */
  public void verifyNone(JournalFilter filter) {
    verify(0, filter);
  }

  private void check(String expectation, long n, LongPredicate ok, JournalFilter filter) {
    long c = count(filter);
    if (!ok.test(c)) {
      List<JournalEntry> found = c == 0 ? List.of() : find(filter.toParams().containsKey("limit") ? filter
          : copyWithLimit(filter, VERIFY_SHOWN));
      throw new JournalVerificationError(expectation, n, c, filter, found);
    }
  }

  private static JournalFilter copyWithLimit(JournalFilter f, int limit) {
    JournalFilter c = JournalFilter.all();
    for (Map.Entry<String, Object> e : f.toParams().entrySet()) {
      switch (e.getKey()) {
        case "system": c.withSystem((String) e.getValue()); break;
        case "path": c.path((String) e.getValue()); break;
        case "status": c.status(((Number) e.getValue()).intValue()); break;
        case "client_id": c.withClientId((String) e.getValue()); break;
        case "telegram_id": c.telegramId((String) e.getValue()); break;
        case "process_id": c.processId((String) e.getValue()); break;
        case "direction": c.direction((String) e.getValue()); break;
        case "bodies": c.withoutBodies(); break;
        default: break;
      }
    }
    return c.limit(limit);
  }

  /** Clears the journal. */
  public void clear() {
    admin.call("DELETE", "/__admin/requests", null);
  }

  /**
   * The IF001-05 notifications sent to an API user (journal entries of system {@code api-user},
   * direction {@code out}, carrying an {@code IFA0302-R01} telegram), oldest first; each entry's
   * {@code status} is what the API user's endpoint answered.
   */
  public List<JournalEntry> notifications(String clientId) {
    List<JournalEntry> out = new ArrayList<>();
    for (JournalEntry e : find(JournalFilter.clientId(clientId).withSystem(API_USER_SYSTEM).direction("out"))) {
      if (isNotification(e)) {
        out.add(e);
      }
    }
    return out;
  }

  static boolean isNotification(JournalEntry e) {
    String body = e.requestBody();
    return "out".equals(e.direction()) && body != null && body.contains("IFA0302-R01");
  }
}

// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Filters of the journal ({@code /__admin/requests} and {@code /__admin/requests/count}), e.g.
 * {@code JournalFilter.system("juki").direction("in")}. Unset filters match everything.
 */
public final class JournalFilter {
  private final Map<String, Object> params = new LinkedHashMap<>();

  /** No filter. */
  public static JournalFilter all() {
    return new JournalFilter();
  }

  /** Entries of one system ({@code portal}, {@code network}, {@code juki}, {@code municipal}, …). */
  public static JournalFilter system(String system) {
    return new JournalFilter().withSystem(system);
  }

  /** Entries filed under one service. */
  public static JournalFilter clientId(String clientId) {
    return new JournalFilter().withClientId(clientId);
  }

  public JournalFilter withSystem(String v) {
    return set("system", v);
  }

  /** A path prefix. */
  public JournalFilter path(String v) {
    return set("path", v);
  }

  public JournalFilter status(int v) {
    return set("status", v);
  }

  public JournalFilter withClientId(String v) {
    return set("client_id", v);
  }

  public JournalFilter telegramId(String v) {
    return set("telegram_id", v);
  }

  public JournalFilter processId(String v) {
    return set("process_id", v);
  }

  /** {@code in} (requests into a system) or {@code out} (notifications, hops sent). */
  public JournalFilter direction(String v) {
    return set("direction", v);
  }

  /** At most this many entries (the newest). */
  public JournalFilter limit(int v) {
    return set("limit", v);
  }

  /** Leave out request and response bodies. */
  public JournalFilter withoutBodies() {
    return set("bodies", "0");
  }

  private JournalFilter set(String k, Object v) {
    if (v == null) {
      params.remove(k);
    } else {
      params.put(k, v);
    }
    return this;
  }

  /** The query parameters. */
  public Map<String, Object> toParams() {
    return new LinkedHashMap<>(params);
  }

  /** The filters without {@code limit} and {@code bodies} (for counting). */
  Map<String, Object> countParams() {
    Map<String, Object> m = toParams();
    m.remove("limit");
    m.remove("bodies");
    return m;
  }

  @Override
  public String toString() {
    return params.isEmpty() ? "(every entry)" : params.toString();
  }
}

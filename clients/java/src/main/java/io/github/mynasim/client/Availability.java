// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.time.OffsetDateTime;
import java.util.Map;

/** Operating hours, planned outages and holidays of the systems ({@code /__admin/availability}). */
public final class Availability {
  private final Admin admin;

  Availability(Admin admin) {
    this.admin = admin;
  }

  /** Every system at the virtual now: {@code {at, systems:[{id,name,kind,up,reason,next_change}]}}. */
  public Map<String, Object> now() {
    return admin.get("/__admin/availability");
  }

  /** Every system at an instant. */
  public Map<String, Object> at(OffsetDateTime at) {
    return admin.get("/__admin/availability" + Admin.query(Admin.params("at", Clock.format(at))));
  }

  /** Whether one system is up at an instant (null: the virtual now). */
  public boolean isUp(String system, OffsetDateTime at) {
    Map<String, Object> a = at == null ? now() : at(at);
    for (Object o : Json.asList(a.get("systems"))) {
      Map<String, Object> s = Json.asMap(o);
      if (system.equals(Json.str(s, "id"))) {
        return Json.bool(s, "up", false);
      }
    }
    throw new MynasimException(404, "unknown_system", "no system " + system + " in the availability answer");
  }

  /**
   * The windows of one system between two instants (≤ 400 days); {@code system} null: every
   * system with the days off. Null bounds: the server's default (the next 7 days).
   */
  public Map<String, Object> timeline(String system, OffsetDateTime from, OffsetDateTime to) {
    return admin.get("/__admin/availability/timeline" + Admin.query(Admin.params("system", system,
        "from", from == null ? null : Clock.format(from), "to", to == null ? null : Clock.format(to))));
  }
}

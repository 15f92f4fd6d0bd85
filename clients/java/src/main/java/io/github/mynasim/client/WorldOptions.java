// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The body of {@code POST /__admin/worlds}: every field optional. */
public final class WorldOptions {
  private String id;
  private String ttl;
  private String clock;
  private final List<String> bind = new ArrayList<>();
  private final List<String> apiUsers = new ArrayList<>();

  public static WorldOptions defaults() {
    return new WorldOptions();
  }

  /** Its id ({@code [a-z0-9][a-z0-9-]{0,62}}; default: {@code w-} and 12 random hex digits). */
  public WorldOptions id(String id) {
    this.id = id;
    return this;
  }

  /** Idle time (wall clock) after which the server removes it. */
  public WorldOptions ttl(Duration ttl) {
    this.ttl = ttl.toString();
    return this;
  }

  /** Its starting virtual instant (a reset returns to it). */
  public WorldOptions clock(OffsetDateTime start) {
    this.clock = Clock.format(start);
    return this;
  }

  /** A service whose requests on the unprefixed paths go to this world. */
  public WorldOptions bind(String clientId) {
    bind.add(clientId);
    return this;
  }

  /** {@code [CLIENT_ID=]URL} of the API user's app in this world, as {@code --api-user}. */
  public WorldOptions apiUser(String spec) {
    apiUsers.add(spec);
    return this;
  }

  Map<String, Object> toMap() {
    return Json.obj("id", id, "ttl", ttl, "clock", clock, "bind", bind.isEmpty() ? null : bind,
        "api_users", apiUsers.isEmpty() ? null : apiUsers);
  }
}

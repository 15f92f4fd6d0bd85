// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;

/** A world's virtual clock ({@code /__admin/clock}). Every time rule of mynasim reads it, in Asia/Tokyo. */
public final class Clock {
  /** Asia/Tokyo, the simulator's zone. */
  public static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
  private final Admin admin;

  Clock(Admin admin) {
    this.admin = admin;
  }

  /** The clock's state: now (with the +09:00 offset), speed, frozen. */
  public static final class State {
    private final OffsetDateTime now;
    private final double speed;
    private final boolean frozen;
    private final String timezone;

    State(OffsetDateTime now, double speed, boolean frozen, String timezone) {
      this.now = now;
      this.speed = speed;
      this.frozen = frozen;
      this.timezone = timezone;
    }

    static State of(Map<String, Object> m) {
      return new State(OffsetDateTime.parse(Json.str(m, "now")), Json.dbl(m, "speed", 1),
          Json.bool(m, "frozen", false), Json.str(m, "timezone"));
    }

    public OffsetDateTime now() {
      return now;
    }

    public double speed() {
      return speed;
    }

    public boolean frozen() {
      return frozen;
    }

    public String timezone() {
      return timezone;
    }

    @Override
    public String toString() {
      return "Clock.State{now=" + now + ", speed=" + speed + ", frozen=" + frozen + "}";
    }
  }

  /** GET /__admin/clock. */
  public State get() {
    return State.of(admin.get("/__admin/clock"));
  }

  /** The virtual now (GET /__admin/clock). */
  public OffsetDateTime now() {
    return get().now();
  }

  /**
   * The virtual now as the latest answer of this client's mynasim said it (header {@value
   * Transport#VIRTUAL_TIME_HEADER}), or null when no answer carried it yet.
   */
  public OffsetDateTime lastSeen() {
    String v = admin.transport.lastVirtualTime();
    return v == null ? null : OffsetDateTime.parse(v);
  }

  /** PUT /__admin/clock with any of now, speed, frozen (null: unchanged). */
  public State set(OffsetDateTime now, Double speed, Boolean frozen) {
    return State.of(admin.call("PUT", "/__admin/clock",
        Json.obj("now", now == null ? null : format(now), "speed", speed, "frozen", frozen)));
  }

  /** Sets the virtual now (the clock keeps running at its speed unless frozen). */
  public State set(OffsetDateTime now) {
    return set(now, null, null);
  }

  /** Sets the virtual now, given as an instant (sent in Asia/Tokyo). */
  public State set(Instant now) {
    return set(now.atZone(TOKYO).toOffsetDateTime(), null, null);
  }

  /** Sets the virtual now from ISO-8601 text, e.g. {@code 2026-12-29T10:00:00+09:00}. */
  public State set(String now) {
    return set(OffsetDateTime.parse(now));
  }

  /** Sets the virtual now and stops the clock there. */
  public State setFrozen(OffsetDateTime now) {
    return set(now, null, true);
  }

  /** Stops the clock where it is. */
  public State freeze() {
    return set(null, null, true);
  }

  /** Lets a frozen clock run again. */
  public State unfreeze() {
    return set(null, null, false);
  }

  /** Simulated seconds per real second (0 … 1 000 000). */
  public State speed(double speed) {
    return set(null, speed, null);
  }

  /** POST /__admin/clock/advance by an ISO-8601 duration such as {@code PT2H30M} or {@code P1D}. */
  public State advance(String isoDuration) {
    return State.of(admin.call("POST", "/__admin/clock/advance", Json.obj("by", isoDuration)));
  }

  /** Advances by a duration. */
  public State advance(Duration by) {
    return advance(by.toString());
  }

  /** POST /__admin/clock/wall: follow the server's wall clock again (its now, speed 1, running). */
  public State wall() {
    return State.of(admin.call("POST", "/__admin/clock/wall", null));
  }

  /** ISO-8601 with seconds always written ({@code 2026-12-29T10:00:00+09:00}), as mynasim's examples spell it. */
  public static String format(OffsetDateTime t) {
    return java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t);
  }

  /** A JST instant from its parts, for convenience: {@code Clock.jst(2026, 12, 29, 10, 0)}. */
  public static OffsetDateTime jst(int year, int month, int day, int hour, int minute) {
    return OffsetDateTime.of(year, month, day, hour, minute, 0, 0, ZoneOffset.ofHours(9));
  }
}

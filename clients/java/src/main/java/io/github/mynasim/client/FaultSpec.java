// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One fault for {@code POST /__admin/faults}, built fluently:
 * {@code FaultSpec.of("http_error", "japan-pension").status(500).count(3)}. The server's parser
 * judges it (400 {@code invalid_fault} names the field); {@link #with} sets any key of the API.
 */
public final class FaultSpec {
  private final Map<String, Object> fields = new LinkedHashMap<>();

  private FaultSpec(String kind, String target) {
    fields.put("kind", kind);
    fields.put("target", target);
  }

  /** A fault of {@code kind} (latency, http_error, hang, reset, down, …) on {@code target} (a system id, app or sp). */
  public static FaultSpec of(String kind, String target) {
    return new FaultSpec(kind, target);
  }

  /** {@code down} on a system for a virtual duration. */
  public static FaultSpec down(String target, Duration forDuration) {
    return of("down", target).forDuration(forDuration);
  }

  /** {@code http_error} with a status. */
  public static FaultSpec httpError(String target, int status) {
    return of("http_error", target).status(status);
  }

  /** Fixed {@code latency}. */
  public static FaultSpec latency(String target, long ms) {
    return of("latency", target).with("latency_ms", ms);
  }

  /** Any key of the fault API (null removes it). */
  public FaultSpec with(String key, Object value) {
    if (value == null) {
      fields.remove(key);
    } else {
      fields.put(key, value);
    }
    return this;
  }

  public FaultSpec id(String id) {
    return with("id", id);
  }

  public FaultSpec status(int status) {
    return with("status", status);
  }

  public FaultSpec count(int count) {
    return with("count", count);
  }

  public FaultSpec probability(double p, long seed) {
    return with("probability", p).with("seed", seed);
  }

  public FaultSpec endpoint(String pathPrefix) {
    return with("endpoint", pathPrefix);
  }

  public FaultSpec clientId(String clientId) {
    return with("client_id", clientId);
  }

  public FaultSpec persona(String persona) {
    return with("persona", persona);
  }

  public FaultSpec telegramId(String telegramId) {
    return with("telegram_id", telegramId);
  }

  public FaultSpec forDuration(Duration d) {
    return with("for", d.toString());
  }

  public FaultSpec until(OffsetDateTime t) {
    return with("until", Clock.format(t));
  }

  public FaultSpec errorCode(String code) {
    return with("error_code", code);
  }

  /** The JSON object sent. */
  public Map<String, Object> toMap() {
    return new LinkedHashMap<>(fields);
  }

  @Override
  public String toString() {
    return Json.write(fields);
  }
}

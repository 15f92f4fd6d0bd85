// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A conformance run as the API shows it: state, the current test's announcement, the verdicts. */
public final class ConformanceRun {
  private final Map<String, Object> m;

  ConformanceRun(Map<String, Object> m) {
    this.m = Collections.unmodifiableMap(m);
  }

  public String id() {
    return Json.str(m, "id");
  }

  public String clientId() {
    return Json.str(m, "client_id");
  }

  /** {@code running}, {@code finished} or {@code cancelled}. */
  public String state() {
    return Json.str(m, "state");
  }

  public boolean isOver() {
    return !"running".equals(state());
  }

  /** The test waiting for the API user's flow now ({@code instruction_ja}, {@code action}, {@code query_method}), or null. */
  public Map<String, Object> current() {
    Object c = m.get("current");
    return c == null ? null : Json.asMap(c);
  }

  /** The persona whose card works ({@code id}, {@code name}, {@code card_serial}, {@code pin}), or null. */
  public Map<String, Object> persona() {
    Object p = m.get("persona");
    return p == null ? null : Json.asMap(p);
  }

  /** Counts per verdict: pass, warning, fail, not_applicable, pending. */
  public Map<String, Object> summary() {
    return Json.asMap(m.get("summary"));
  }

  /** Every test of the run with its state and verdict. */
  public List<Map<String, Object>> tests() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : Json.asList(m.get("tests"))) {
      out.add(Json.asMap(o));
    }
    return out;
  }

  /** Test name → verdict ({@code pass}, {@code warning}, {@code fail}, {@code not_applicable}, {@code pending}). */
  public Map<String, String> verdicts() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map<String, Object> t : tests()) {
      out.put(Json.str(t, "name"), Json.str(t, "verdict"));
    }
    return out;
  }

  /** Whether no test failed. */
  public boolean passed() {
    return Json.num(summary(), "fail", 0) == 0;
  }

  public Map<String, Object> raw() {
    return m;
  }

  @Override
  public String toString() {
    return "ConformanceRun{" + id() + " " + clientId() + " " + state() + " " + verdicts() + "}";
  }
}

// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A world's faults ({@code /__admin/faults}). */
public final class Faults {
  private final Admin admin;

  Faults(Admin admin) {
    this.admin = admin;
  }

  /** Adds one fault; answers its id. */
  public String add(FaultSpec fault) {
    return add(List.of(fault)).get(0);
  }

  /** Adds faults, all or nothing; answers their ids. */
  public List<String> add(List<FaultSpec> faults) {
    List<Object> body = new ArrayList<>();
    for (FaultSpec f : faults) {
      body.add(f.toMap());
    }
    Map<String, Object> r = admin.call("POST", "/__admin/faults", faults.size() == 1 ? body.get(0) : body);
    List<String> ids = new ArrayList<>();
    for (Object o : Json.asList(r.get("ids"))) {
      ids.add(String.valueOf(o));
    }
    return ids;
  }

  /** The active faults (each as the API shows it: id, kind, target, remaining, …). */
  public List<Map<String, Object>> list() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : Json.asList(admin.get("/__admin/faults").get("faults"))) {
      out.add(Json.asMap(o));
    }
    return out;
  }

  /** Removes one fault (404 {@code MynasimException} when unknown). */
  public void remove(String id) {
    admin.call("DELETE", "/__admin/faults/" + Admin.enc(id), null);
  }

  /** Removes every fault. */
  public void clear() {
    admin.call("DELETE", "/__admin/faults", null);
  }
}

// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A runtime sheet of a world: {@code services} (サービス情報設定シート), {@code connections}
 * (接続情報設定シート) or {@code personas} (テストデータ設定シート). Entries are JSON objects as the
 * YAML files have them; an invalid one is a 400 {@code invalid_entry} {@link MynasimException}
 * whose message is {@code origin:line:col: path: message}.
 */
public final class Sheet {
  private final Admin admin;
  private final String section;

  Sheet(Admin admin, String section) {
    this.admin = admin;
    this.section = section;
  }

  /** {@code services}, {@code connections} or {@code personas}. */
  public String section() {
    return section;
  }

  /** Every entry (GET /__admin/{section}). */
  public List<Map<String, Object>> list() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : Json.asList(admin.get("/__admin/" + section).get(section))) {
      out.add(Json.asMap(o));
    }
    return out;
  }

  /** One entry (404 {@link MynasimException} when unknown). */
  public Map<String, Object> get(String id) {
    return admin.get(path(id));
  }

  /** Adds or replaces an entry (JSON object); answers it as the server has it now. */
  public Map<String, Object> put(String id, Map<String, ?> entry) {
    return admin.call("PUT", path(id), entry);
  }

  /** Adds or replaces an entry given as YAML text. */
  public Map<String, Object> putYaml(String id, String yaml) {
    return Json.parseObject(admin.ok("PUT", path(id), yaml, "application/yaml").body);
  }

  /** A JSON merge patch of the entry as {@link #get} shows it (a null value removes a key). */
  public Map<String, Object> patch(String id, Map<String, ?> mergePatch) {
    Transport.Response r = admin.ok("PATCH", path(id), Json.write(mergePatch), "application/merge-patch+json");
    return Json.parseObject(r.body);
  }

  /** Removes an entry. */
  public void delete(String id) {
    admin.call("DELETE", path(id), null);
  }

  private String path(String id) {
    return "/__admin/" + section + "/" + Admin.enc(id);
  }
}

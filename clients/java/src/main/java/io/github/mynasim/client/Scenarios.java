// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A world's scenario ({@code /__admin/scenarios}). */
public final class Scenarios {
  /** Largest YAML body the server accepts: 1 MiB. */
  public static final int MAX_YAML_BYTES = 1024 * 1024;
  private final Admin admin;

  Scenarios(Admin admin) {
    this.admin = admin;
  }

  /**
   * Starts a scenario file that lies in the server's {@code qa.scenarios_dir} (e.g. {@code
   * "year-end-juki.yaml"} or {@code "scenarios/third-weekend.yaml"}); answers the status.
   */
  public Map<String, Object> loadFile(String name) {
    return admin.call("POST", "/__admin/scenarios", Json.obj("file", name));
  }

  /** Starts a scenario given as YAML text (at most 1 MiB). */
  public Map<String, Object> loadYaml(String yaml) {
    if (yaml.getBytes(StandardCharsets.UTF_8).length > MAX_YAML_BYTES) {
      throw new MynasimException(0, "too_large", "a scenario is at most " + MAX_YAML_BYTES + " bytes");
    }
    Transport.Response r = admin.ok("POST", "/__admin/scenarios", yaml, "application/yaml");
    return Json.parseObject(r.body);
  }

  /** Reads a local YAML file and starts it as text (the file need not be on the server). */
  public Map<String, Object> load(Path localYaml) {
    try {
      if (Files.size(localYaml) > MAX_YAML_BYTES) {
        throw new MynasimException(0, "too_large", localYaml + " is larger than " + MAX_YAML_BYTES + " bytes");
      }
      return loadYaml(Files.readString(localYaml, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new MynasimException(0, "io_error", "cannot read " + localYaml + ": " + e.getMessage(), null, e);
    }
  }

  /** The running scenario ({@code scenario} null when none), its steps and log, and the files available. */
  public Map<String, Object> current() {
    return admin.get("/__admin/scenarios");
  }

  /** Stops the scenario (its faults stay until removed). */
  public void stop() {
    admin.call("DELETE", "/__admin/scenarios", null);
  }
}

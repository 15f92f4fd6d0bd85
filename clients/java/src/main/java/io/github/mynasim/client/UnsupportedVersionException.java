// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

/** The mynasim found speaks a version this client does not support ({@link Version#range()}). */
public final class UnsupportedVersionException extends MynasimException {
  private static final long serialVersionUID = 1L;
  private final String version;

  public UnsupportedVersionException(String version) {
    super(0, "unsupported_version", "mynasim " + version + " is not supported by this client (supported: "
        + Version.range() + ")");
    this.version = version;
  }

  /** The version the simulator reported. */
  public String version() {
    return version;
  }
}

// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** mynasim versions: parsing and the range this client supports. */
public final class Version {
  /** The major version this client speaks. */
  public static final int SUPPORTED_MAJOR = 0;
  /** The minor version this client speaks (any patch). */
  public static final int SUPPORTED_MINOR = 1;
  private static final Pattern V = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

  private Version() {}

  /** {major, minor, patch} of the first {@code N.N[.N]} in the text, or null. */
  public static int[] parse(String text) {
    if (text == null) {
      return null;
    }
    Matcher m = V.matcher(text);
    if (!m.find()) {
      return null;
    }
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
        m.group(3) == null ? 0 : Integer.parseInt(m.group(3))};
  }

  /** Whether this client supports a version text (e.g. {@code 0.1.0}, {@code mynasim 0.1.3}). */
  public static boolean isSupported(String text) {
    int[] v = parse(text);
    return v != null && v[0] == SUPPORTED_MAJOR && v[1] == SUPPORTED_MINOR;
  }

  /** Throws {@link UnsupportedVersionException} unless supported; answers the text. */
  public static String require(String text) {
    if (!isSupported(text)) {
      throw new UnsupportedVersionException(String.valueOf(text));
    }
    return text;
  }

  /** The range, for messages: {@code >=0.1.0 <0.2.0}. */
  public static String range() {
    return ">=" + SUPPORTED_MAJOR + "." + SUPPORTED_MINOR + ".0 <" + SUPPORTED_MAJOR + "." + (SUPPORTED_MINOR + 1) + ".0";
  }
}

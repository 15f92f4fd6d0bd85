// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The redirect of a successful authorize: the code, the state, the Location it was read from. */
public final class Authorization {
  private final String code;
  private final String state;
  private final String location;

  Authorization(String code, String state, String location) {
    this.code = code;
    this.state = state;
    this.location = location;
  }

  public String code() {
    return code;
  }

  public String state() {
    return state;
  }

  public String location() {
    return location;
  }

  /** The query parameters of a URL (decoded; the first value of each name). */
  public static Map<String, String> queryOf(String url) {
    Map<String, String> out = new LinkedHashMap<>();
    String q = URI.create(url).getRawQuery();
    if (q == null) {
      return out;
    }
    for (String part : q.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }

  /**
   * Reads an authorize answer: a 302 whose Location carries {@code code} gives an Authorization;
   * one carrying {@code error}, or any other answer, an {@link AuthorizationException}.
   */
  public static Authorization fromRedirect(int status, String location, String errorCodeHeader, String body) {
    if (status < 300 || status >= 400 || location == null) {
      String desc = null;
      if (body != null) {
        String t = body.replaceAll("(?s)<[^>]*>", " ").replaceAll("\\s+", " ").strip();
        desc = t.length() > 300 ? t.substring(0, 300) + "…" : t;
      }
      throw new AuthorizationException(status, "authorize_failed",
          "authorize answered " + status + " without a redirect"
              + (errorCodeHeader == null ? "" : " (" + errorCodeHeader + ")") + (desc == null || desc.isEmpty() ? "" : ": " + desc),
          errorCodeHeader, null, location);
    }
    Map<String, String> q = queryOf(location);
    if (q.containsKey("error")) {
      throw new AuthorizationException(status, q.get("error"), q.get("error_description"), q.get("error_code"),
          q.get("state"), location);
    }
    String code = q.get("code");
    if (code == null || code.isEmpty()) {
      throw new AuthorizationException(status, "no_code", "the redirect carries no code: " + location, null,
          q.get("state"), location);
    }
    if ("access_denied".equals(code)) { // portal.error_redirect: code
      throw new AuthorizationException(status, "access_denied", null, null, q.get("state"), location);
    }
    return new Authorization(code, q.get("state"), location);
  }

  @Override
  public String toString() {
    return "Authorization{code=" + code + ", state=" + state + "}";
  }
}

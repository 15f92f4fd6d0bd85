// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Calls to one world's admin API: {@code <admin>/__admin/…} or {@code <admin>/worlds/{id}/__admin/…}. */
final class Admin {
  final Transport transport;
  /** The admin base of the world: {@code http://127.0.0.1:8081} or {@code …/worlds/{id}}. */
  final String base;
  final String token;

  Admin(Transport transport, String base, String token) {
    this.transport = transport;
    this.base = stripSlash(base);
    this.token = token;
  }

  static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Percent-encodes one path segment or query value. */
  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** {@code ?k=v&…} of the non-null values, or "". */
  static String query(Map<String, ?> params) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, ?> e : params.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      b.append(b.length() == 0 ? '?' : '&').append(enc(e.getKey())).append('=').append(enc(String.valueOf(e.getValue())));
    }
    return b.toString();
  }

  static Map<String, Object> params(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  Transport.Response raw(String method, String path, String body, String contentType) {
    return transport.send(method, base + path, body, contentType, "Authorization",
        token == null ? null : "Bearer " + token, "Accept", "application/json");
  }

  /** Sends, refuses any status ≥ 300 with a {@link MynasimException}, returns the answer. */
  Transport.Response ok(String method, String path, String body, String contentType) {
    Transport.Response r = raw(method, path, body, contentType);
    if (r.status >= 300) {
      throw Transport.errorOf(method + " " + pathOnly(path), r);
    }
    return r;
  }

  private static String pathOnly(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  /** A JSON call answering an object. */
  Map<String, Object> call(String method, String path, Object jsonBody) {
    Transport.Response r = ok(method, path, jsonBody == null ? null : Json.write(jsonBody),
        jsonBody == null ? null : "application/json");
    if (r.body.isBlank()) {
      return new LinkedHashMap<>();
    }
    try {
      return Json.parseObject(r.body);
    } catch (Json.JsonException e) {
      throw new MynasimException(method + " " + pathOnly(path), r.status, "bad_answer",
          "the answer is not a JSON object: " + e.getMessage(), r.body, e);
    }
  }

  Map<String, Object> get(String path) {
    return call("GET", path, null);
  }
}

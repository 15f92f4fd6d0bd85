// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.Collections;
import java.util.Map;

/** One journal entry: a request into a system, a hop, or a notification sent. {@link #raw()} has every field. */
public final class JournalEntry {
  private final Map<String, Object> m;

  JournalEntry(Map<String, Object> m) {
    this.m = Collections.unmodifiableMap(m);
  }

  public long seq() {
    return Json.num(m, "seq", -1);
  }

  public String at() {
    return Json.str(m, "at");
  }

  public String direction() {
    return Json.str(m, "direction");
  }

  public String system() {
    return Json.str(m, "system");
  }

  public String method() {
    return Json.str(m, "method");
  }

  public String path() {
    return Json.str(m, "path");
  }

  /** For entries sent out (notifications): the URL. */
  public String url() {
    return Json.str(m, "url");
  }

  public int status() {
    return (int) Json.num(m, "status", 0);
  }

  public String clientId() {
    return Json.str(m, "client_id");
  }

  public String persona() {
    return Json.str(m, "persona");
  }

  public String telegramId() {
    return Json.str(m, "telegram_id");
  }

  public String processId() {
    return Json.str(m, "process_id");
  }

  /** The answer's errorCode, when it had one. */
  public String errorCode() {
    return Json.str(m, "error_code");
  }

  public String requestBody() {
    return Json.str(m, "request_body");
  }

  public String responseBody() {
    return Json.str(m, "response_body");
  }

  /** Every field as the API answered it. */
  public Map<String, Object> raw() {
    return m;
  }

  @Override
  public String toString() {
    return "#" + seq() + " " + direction() + " " + system() + " " + method() + " " + path() + " → " + status()
        + (errorCode() == null || errorCode().isEmpty() ? "" : " " + errorCode())
        + (clientId() == null ? "" : " [" + clientId() + "]");
  }
}

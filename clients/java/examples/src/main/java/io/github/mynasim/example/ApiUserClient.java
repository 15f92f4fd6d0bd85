// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.example;

import io.github.mynasim.client.Json;
import io.github.mynasim.client.Transport;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small API user of 自己情報取得API, as a bank's server would write it: IF001-03 token,
 * IF001-04 request with a fresh telegramId, IF001-06 result (after the IF001-05 notification, or
 * polled with a bounded back-off). It only needs the sp base URL and an HTTP client trusting the
 * portal's CA — here the client library's {@link Transport}.
 */
public final class ApiUserClient {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyMMddHHmmss");
  private final Transport http;
  private final String sp;
  private final String clientId;
  private final String redirectUri;
  private final String providerDigits;
  private final AtomicInteger sequence = new AtomicInteger();

  /** The answer of IF001-04 or IF001-06: the common header, the message, the data. */
  public static final class Telegram {
    public final int httpStatus;
    public final Map<String, Object> body;

    Telegram(int httpStatus, Map<String, Object> body) {
      this.httpStatus = httpStatus;
      this.body = body;
    }

    public Map<String, Object> header() {
      return Json.asMap(body.get("commonHeader"));
    }

    public String errorCode() {
      return Json.str(header(), "errorCode");
    }

    public String processId() {
      return Json.str(header(), "processId");
    }

    public String telegramId() {
      return Json.str(header(), "telegramId");
    }

    public String errorMessage() {
      return Json.str(body, "errorMessage");
    }

    /** providerStatus of a result: one entry per holder. */
    public List<Object> providerStatus() {
      return Json.asList(Json.asMap(body.get("selfPersonalDataProvisionInfo")).get("providerStatus"));
    }

    /** selfPersonalData parsed: one object per providing body, 情報名 → records. */
    public List<Object> data() {
      String s = Json.str(Json.asMap(body.get("selfPersonalDataProvisionInfo")), "selfPersonalData");
      return s == null || s.isEmpty() ? List.of() : Json.asList(Json.parse(s));
    }

    @Override
    public String toString() {
      return httpStatus + " " + Json.write(body);
    }
  }

  /**
   * @param sp the sp base URL (e.g. {@code https://localhost:9443} or a world's)
   * @param clientId e.g. {@code SP00000086_AA0003}: its eight digits go into every telegramId
   */
  public ApiUserClient(Transport http, String sp, String clientId, String redirectUri) {
    this.http = http;
    this.sp = sp;
    this.clientId = clientId;
    this.redirectUri = redirectUri;
    this.providerDigits = clientId.substring(2, 10);
  }

  /** IF001-03: code (and PKCE verifier) → access token. */
  public String token(String code, String codeVerifier) {
    String form = "grant_type=authorization_code&code=" + enc(code) + "&redirect_uri=" + enc(redirectUri)
        + "&client_id=" + enc(clientId) + (codeVerifier == null ? "" : "&code_verifier=" + enc(codeVerifier));
    Transport.Response r = http.send("POST", sp + "/online-authorization-web/oauth/token", form,
        "application/x-www-form-urlencoded");
    if (r.status != 200) {
      throw new IllegalStateException("token: " + r.status + " " + r.body);
    }
    return Json.str(Json.parseObject(r.body), "access_token");
  }

  /** A new telegramId: TL-<8 provider digits>-<YYMMDDhhmmss JST>-<4 digit sequence>. */
  public String newTelegramId() {
    String stamp = ZonedDateTime.now(ZoneId.of("Asia/Tokyo")).format(STAMP);
    return String.format("TL-%s-%s-%04d", providerDigits, stamp, sequence.incrementAndGet() % 10000);
  }

  /** IF001-04: asks for the data ({@code Latest}, {@code Date=YYYYMMDD}, {@code Range=…-…}). */
  public Telegram request(String token, String inquiryCondition) {
    Map<String, Object> body = Json.obj(
        "commonHeader", Json.obj("telegramId", newTelegramId(), "telegramType", "IFA0301-R01", "mode", "1",
            "processId", "", "errorCode", ""),
        "selfProvisionDataReqInfo", Json.obj("inquiryCondition", inquiryCondition));
    return post("/online-resource-web/request", token, body);
  }

  /** IF001-06 once: the same telegramId as the request, with its processId. */
  public Telegram result(String token, Telegram request) {
    Map<String, Object> body = Json.obj("commonHeader", Json.obj("telegramId", request.telegramId(),
        "telegramType", "IFA0303-R01", "mode", "1", "processId", request.processId(), "errorCode", ""));
    return post("/online-resource-web/result", token, body);
  }

  /**
   * IF001-06 until it is no longer MPE3008 (still processing), backing off from {@code first}
   * (doubling, at most 2 s between tries) for at most {@code budget}.
   */
  public Telegram pollResult(String token, Telegram request, Duration first, Duration budget) throws InterruptedException {
    long deadline = System.nanoTime() + budget.toNanos();
    long wait = first.toMillis();
    while (true) {
      Telegram t = result(token, request);
      if (!"MPE3008".equals(t.errorCode())) {
        return t;
      }
      if (System.nanoTime() + wait * 1_000_000 > deadline) {
        throw new IllegalStateException("result not ready within " + budget + ": " + t);
      }
      Thread.sleep(wait);
      wait = Math.min(wait * 2, 2000);
    }
  }

  private Telegram post(String path, String token, Map<String, Object> body) {
    Transport.Response r = http.send("POST", sp + path, Json.write(body), "application/json",
        "Authorization", "Bearer " + token);
    return new Telegram(r.status, Json.parseObject(r.body));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

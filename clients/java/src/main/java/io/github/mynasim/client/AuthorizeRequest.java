// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A non-interactive IF001-01 authorize: {@code AuthorizeRequest.of(clientId, redirectUri).persona("taro")}.
 * Outcomes: {@code consent} (default), {@code refuse}, {@code cancel_link}, {@code wrong_pin},
 * {@code lock_card}, {@code expired_certificate}, {@code revoked_certificate}.
 */
public final class AuthorizeRequest {
  final String clientId;
  final String redirectUri;
  String persona;
  String outcome;
  String state;
  Pkce pkce;
  String loginType = "0";
  final Map<String, String> extra = new LinkedHashMap<>();

  private AuthorizeRequest(String clientId, String redirectUri) {
    this.clientId = clientId;
    this.redirectUri = redirectUri;
  }

  public static AuthorizeRequest of(String clientId, String redirectUri) {
    return new AuthorizeRequest(clientId, redirectUri);
  }

  /** {@code mynasim_persona}: who consents (null: the app's own authorize, no test path). */
  public AuthorizeRequest persona(String persona) {
    this.persona = persona;
    return this;
  }

  /** {@code mynasim_outcome}. */
  public AuthorizeRequest outcome(String outcome) {
    this.outcome = outcome;
    return this;
  }

  public AuthorizeRequest state(String state) {
    this.state = state;
    return this;
  }

  /** Sends {@code code_challenge} and {@code code_challenge_method=S256}. */
  public AuthorizeRequest pkce(Pkce pkce) {
    this.pkce = pkce;
    return this;
  }

  public AuthorizeRequest loginType(String loginType) {
    this.loginType = loginType;
    return this;
  }

  /** Any other query parameter. */
  public AuthorizeRequest param(String name, String value) {
    extra.put(name, value);
    return this;
  }

  /** The query parameters, in order. */
  public Map<String, Object> toParams() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("response_type", "code");
    p.put("client_id", clientId);
    p.put("redirect_uri", redirectUri);
    p.put("state", state);
    p.put("login_type", loginType);
    if (pkce != null) {
      p.put("code_challenge", pkce.challenge());
      p.put("code_challenge_method", pkce.method());
    }
    p.put("mynasim_persona", persona);
    p.put("mynasim_outcome", outcome);
    p.putAll(extra);
    return p;
  }
}

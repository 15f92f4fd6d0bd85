// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** A PKCE pair (RFC 7636, S256): send {@link #challenge()} to authorize, {@link #verifier()} to the token endpoint. */
public final class Pkce {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final String verifier;
  private final String challenge;

  private Pkce(String verifier) {
    this.verifier = verifier;
    this.challenge = s256(verifier);
  }

  /** A fresh random verifier (43 characters) and its S256 challenge. */
  public static Pkce generate() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return new Pkce(Base64.getUrlEncoder().withoutPadding().encodeToString(b));
  }

  /** The pair of a given verifier. */
  public static Pkce of(String verifier) {
    return new Pkce(verifier);
  }

  /** BASE64URL(SHA-256(ASCII(verifier))), no padding. */
  public static String s256(String verifier) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public String verifier() {
    return verifier;
  }

  public String challenge() {
    return challenge;
  }

  /** Always {@code S256}. */
  public String method() {
    return "S256";
  }
}

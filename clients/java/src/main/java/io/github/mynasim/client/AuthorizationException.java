// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

/**
 * The portal sent the user back to the service with an error instead of a code ({@code
 * error=access_denied&error_code=MPE1101…}), or answered authorize without a redirect (an error
 * page: unknown client, redirect mismatch, unknown persona).
 */
public final class AuthorizationException extends MynasimException {
  private static final long serialVersionUID = 1L;
  private final String errorCode;
  private final String state;
  private final String location;

  public AuthorizationException(int status, String error, String description, String errorCode, String state,
      String location) {
    super(status, error, description == null ? error + (errorCode == null ? "" : " (" + errorCode + ")") : description);
    this.errorCode = errorCode;
    this.state = state;
    this.location = location;
  }

  /** The portal's errorCode (e.g. {@code MPE1101}), from {@code error_code=} or the error page. */
  public String errorCode() {
    return errorCode;
  }

  /** The {@code state} the redirect carried back, if any. */
  public String state() {
    return state;
  }

  /** The redirect's {@code Location}, if there was one. */
  public String location() {
    return location;
  }
}

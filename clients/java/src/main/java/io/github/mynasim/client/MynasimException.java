// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

/**
 * An error from mynasim or from talking to it.
 *
 * <p>For an answer of the admin API ({@code {"error","message"}} or {@code
 * {"error","error_description"}}) {@link #status()} is the HTTP status, {@link #error()} the
 * error code (e.g. {@code invalid_fault}, {@code unknown_world}) and {@link #getMessage()} the
 * message. For a failure without an answer (connection refused, timeout, a process that did not
 * start) {@link #status()} is 0 and {@link #error()} names the kind ({@code io_error}, {@code
 * timeout}, {@code start_failed}, …).
 */
public class MynasimException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String error;
  private final String body;
  private final String message;

  public MynasimException(int status, String error, String message) {
    this(status, error, message, null, null);
  }

  public MynasimException(int status, String error, String message, String body, Throwable cause) {
    this(null, status, error, message, body, cause);
  }

  /**
   * @param context what was being done (e.g. {@code "POST /__admin/faults"}), put in front of
   *     {@link #getMessage()}; {@link #message()} stays the server's own message
   */
  public MynasimException(String context, int status, String error, String message, String body, Throwable cause) {
    super((context == null ? "" : context + ": " + (status > 0 ? status + " " : "") + error
        + (message == null || message.isEmpty() ? "" : ": "))
        + (message == null || message.isEmpty() ? (context == null ? error : "") : message), cause);
    this.status = status;
    this.error = error;
    this.body = body;
    this.message = message == null ? "" : message;
  }

  /** The server's message ({@code message} or {@code error_description}), or the failure's. */
  public String message() {
    return message;
  }

  /** The HTTP status of the answer, or 0 when there was none. */
  public int status() {
    return status;
  }

  /** The error code: the answer's {@code error}, or the kind of failure when there was none. */
  public String error() {
    return error;
  }

  /** The answer's body as received (may be null). */
  public String body() {
    return body;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(" + status + " " + error + "): " + getMessage();
  }
}

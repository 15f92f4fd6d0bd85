// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.time.Duration;

/**
 * Waiting, bounded, for a mynasim to be ready: {@code GET <admin>/readyz} answering 200 (it needs
 * no token). Used by the launcher's callers and by the Testcontainers module's wait strategy.
 */
public final class Readiness {
  private Readiness() {}

  /** One probe: true when {@code /readyz} answers 200, false on 503 or no answer. */
  public static boolean isReady(Transport t, String adminUrl) {
    try {
      return t.send("GET", Admin.stripSlash(adminUrl) + "/readyz", null, null).status == 200;
    } catch (MynasimException e) {
      return false;
    }
  }

  /**
   * Probes every {@code every} until ready; throws a {@code timeout} {@link MynasimException}
   * after {@code timeout}.
   */
  public static void await(String adminUrl, Duration timeout, Duration every) {
    Transport t = new Transport(null, Duration.ofSeconds(2).compareTo(timeout) < 0 ? Duration.ofSeconds(2) : timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (isReady(t, adminUrl)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new MynasimException(0, "timeout", adminUrl + "/readyz did not answer 200 within " + timeout);
      }
      Conformance.sleep(every);
    }
  }

  /** Waits at most 30 s, probing every 100 ms. */
  public static void await(String adminUrl) {
    await(adminUrl, Duration.ofSeconds(30), Duration.ofMillis(100));
  }
}

// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

/** Conformance runs of a world ({@code /__admin/conformance/…}, docs/conformance.md). */
public final class Conformance {
  private final Admin admin;

  Conformance(Admin admin) {
    this.admin = admin;
  }

  /** Options of a run. */
  public static final class RunOptions {
    String plan;
    Boolean completeScreens;

    public static RunOptions plan(String plan) {
      RunOptions o = new RunOptions();
      o.plan = plan;
      return o;
    }

    /**
     * {@code "complete_screens": true}: while a test of this run is current, the app's own plain
     * authorize for the client is answered at once with the redirect (code, or
     * error=access_denied when the test announces {@code refuse}) — an e2e script then needs only
     * an HTTP client. Needs a mynasim that knows the field (an older one refuses the run with 400).
     */
    public RunOptions completeScreens(boolean v) {
      completeScreens = v;
      return this;
    }
  }

  /** The tests and the named plans (GET /__admin/conformance/tests). */
  public Map<String, Object> tests() {
    return admin.get("/__admin/conformance/tests");
  }

  /** Starts a run of {@code plan} ({@code all}, {@code basic}, or test ids separated by commas). */
  public ConformanceRun start(String clientId, String plan) {
    return start(clientId, RunOptions.plan(plan));
  }

  public ConformanceRun start(String clientId, RunOptions options) {
    return new ConformanceRun(admin.call("POST", "/__admin/conformance/runs",
        Json.obj("client_id", clientId, "plan", options.plan, "complete_screens", options.completeScreens)));
  }

  public ConformanceRun get(String runId) {
    return new ConformanceRun(admin.get("/__admin/conformance/runs/" + Admin.enc(runId)));
  }

  /** Cancels a run; the current test's arrangement is put back. */
  public ConformanceRun cancel(String runId) {
    return new ConformanceRun(admin.call("DELETE", "/__admin/conformance/runs/" + Admin.enc(runId), null));
  }

  /**
   * Polls a run (every {@code every}) until {@code until} holds, for at most {@code timeout};
   * answers the last state seen, or throws a {@code timeout} {@link MynasimException}.
   */
  public ConformanceRun poll(String runId, Predicate<ConformanceRun> until, Duration every, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      ConformanceRun r = get(runId);
      if (until.test(r)) {
        return r;
      }
      if (System.nanoTime() > deadline) {
        throw new MynasimException(0, "timeout", "conformance run " + runId + " not there within " + timeout
            + "; last: " + r);
      }
      sleep(every);
    }
  }

  /** Waits until the run is over (finished or cancelled). */
  public ConformanceRun awaitFinished(String runId, Duration timeout) {
    return poll(runId, ConformanceRun::isOver, Duration.ofMillis(200), timeout);
  }

  /** Waits until a test is announced ({@code current} not null) or the run is over. */
  public ConformanceRun awaitCurrent(String runId, Duration timeout) {
    return poll(runId, r -> r.current() != null || r.isOver(), Duration.ofMillis(100), timeout);
  }

  /** The report: {@code json}, {@code junit} (XML, one test case per test) or {@code markdown}. */
  public String report(String runId, String format) {
    return admin.ok("GET", "/__admin/conformance/runs/" + Admin.enc(runId) + "/report"
        + Admin.query(Admin.params("format", format)), null, null).body;
  }

  /** Writes the JUnit XML report to a file (for CI); answers the file. */
  public Path writeJunit(String runId, Path file) {
    String xml = report(runId, "junit");
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Files.writeString(file, xml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MynasimException(0, "io_error", "cannot write " + file + ": " + e.getMessage(), null, e);
    }
    return file;
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MynasimException(0, "interrupted", "interrupted while waiting", null, e);
    }
  }
}

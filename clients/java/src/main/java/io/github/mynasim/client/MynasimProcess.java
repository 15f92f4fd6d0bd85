// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code mynasim serve} process this client started: on free ports ({@code --port-base 0}),
 * with a ready file and its log in a temporary folder. {@link #close()} stops it (SIGTERM, then
 * a kill after a bound) and removes the folder.
 */
public final class MynasimProcess implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final Path log;
  private final Map<String, Object> ready;
  private final Thread shutdownHook;
  private volatile boolean stopped;

  private MynasimProcess(Process process, Path dir, Path log, Map<String, Object> ready) {
    this.process = process;
    this.dir = dir;
    this.log = log;
    this.ready = ready;
    this.shutdownHook = new Thread(() -> process.destroyForcibly(), "mynasim-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts {@code binary serve --port-base 0 --ready-file <tmp>/ready.json <extraArgs…>} and waits,
   * at most {@code timeout}, for the ready file. On failure the process is stopped and the error
   * carries the end of its log.
   *
   * @param binary a path, or a name looked up on PATH (e.g. {@code mynasim})
   */
  public static MynasimProcess start(String binary, List<String> extraArgs, Duration timeout) {
    Path dir;
    try {
      dir = Files.createTempDirectory("mynasim-java-");
    } catch (IOException e) {
      throw new MynasimException(0, "start_failed", "cannot make a temporary folder: " + e.getMessage(), null, e);
    }
    Path readyFile = dir.resolve("ready.json");
    Path log = dir.resolve("mynasim.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(binary);
    cmd.add("serve");
    cmd.add("--port-base");
    cmd.add("0");
    cmd.add("--ready-file");
    cmd.add(readyFile.toString());
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("MYNASIM_READY_FILE");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      deleteTree(dir);
      throw new MynasimException(0, "start_failed", "cannot start " + binary + " (set MYNASIM_BIN or put mynasim on PATH): "
          + e.getMessage(), null, e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<String, Object> r = readReady(readyFile);
      if (r != null) {
        return new MynasimProcess(p, dir, log, r);
      }
      if (!p.isAlive()) {
        String tail = tail(log, 30);
        deleteTree(dir);
        throw new MynasimException(0, "start_failed", binary + " exited with " + p.exitValue()
            + " before it was ready; its log ends:\n" + tail);
      }
      if (System.nanoTime() > deadline) {
        stopProcess(p, Duration.ofSeconds(5));
        String tail = tail(log, 30);
        deleteTree(dir);
        throw new MynasimException(0, "start_failed", binary + " wrote no ready file within " + timeout
            + "; its log ends:\n" + tail);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopProcess(p, Duration.ofSeconds(5));
        deleteTree(dir);
        throw new MynasimException(0, "interrupted", "interrupted while starting mynasim", null, e);
      }
    }
  }

  private static Map<String, Object> readReady(Path f) {
    try {
      if (!Files.isRegularFile(f) || Files.size(f) == 0) {
        return null;
      }
      if (Files.size(f) > 1024 * 1024) {
        throw new MynasimException(0, "start_failed", "the ready file " + f + " is larger than 1 MiB");
      }
      Map<String, Object> m = Json.parseObject(Files.readString(f, StandardCharsets.UTF_8));
      return m.containsKey("urls") ? m : null;
    } catch (IOException | Json.JsonException e) {
      return null; // not complete yet
    }
  }

  /** The ready file's content: urls, ports, pid, version, ca_file, virtual_time. */
  public Map<String, Object> ready() {
    return ready;
  }

  public Endpoints endpoints() {
    return Endpoints.fromUrls(Json.asMap(ready.get("urls")));
  }

  public String version() {
    return Json.str(ready, "version");
  }

  /** The CA to trust for app and sp ({@code ca_file}), or null. */
  public Path caFile() {
    String f = Json.str(ready, "ca_file");
    return f == null ? null : Path.of(f);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The process's output (stdout and stderr). */
  public Path logFile() {
    return log;
  }

  /** The last lines of the log. */
  public String logTail(int lines) {
    return tail(log, lines);
  }

  /** Stops it: SIGTERM, up to {@code grace} to exit, then a kill. Answers the exit code. */
  public int stop(Duration grace) {
    if (stopped) {
      return process.isAlive() ? -1 : process.exitValue();
    }
    stopped = true;
    int code = stopProcess(process, grace);
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException ignored) {
      // shutting down already
    }
    deleteTree(dir);
    return code;
  }

  /** Stops it, allowing 10 s. */
  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }

  private static int stopProcess(Process p, Duration grace) {
    p.destroy(); // SIGTERM
    try {
      if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    return p.isAlive() ? -1 : p.exitValue();
  }

  /** The last {@code lines} lines of a file (reads at most its last 64 KiB). */
  static String tail(Path f, int lines) {
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
      long len = raf.length();
      long from = Math.max(0, len - 64 * 1024);
      byte[] b = new byte[(int) (len - from)];
      raf.seek(from);
      raf.readFully(b);
      String[] all = new String(b, StandardCharsets.UTF_8).split("\n", -1);
      int start = Math.max(0, all.length - lines - 1);
      return String.join("\n", java.util.Arrays.copyOfRange(all, start, all.length)).strip();
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}

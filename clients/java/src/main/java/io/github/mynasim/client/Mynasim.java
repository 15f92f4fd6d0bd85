// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A mynasim simulator — started by this client or already running — and its default world.
 *
 * <pre>{@code
 * try (Mynasim sim = Mynasim.start()) {          // mynasim on PATH, free ports
 *   sim.clock().set("2026-12-29T10:00:00+09:00");
 *   MynasimWorld w = sim.createWorld(WorldOptions.defaults());
 *   ...
 * }
 * }</pre>
 *
 * <p>At connect the version is read (ready file or {@code GET /__admin/health}) and one outside
 * {@link Version#range()} is refused with an {@link UnsupportedVersionException}.
 */
public final class Mynasim extends MynasimWorld implements AutoCloseable {
  private final MynasimProcess process;
  private final String version;

  private Mynasim(Transport t, Endpoints e, String token, MynasimProcess process, String version) {
    super(t, e, worldIdOf(e.admin()), token, null);
    this.process = process;
    this.version = version;
  }

  /** How to start or reach a mynasim. */
  public static final class Options {
    String binary = "mynasim";
    final List<String> args = new ArrayList<>();
    Duration startTimeout = Duration.ofSeconds(30);
    Duration timeout = Duration.ofSeconds(10);
    String adminToken;
    Path caFile;
    Endpoints endpoints;
    boolean checkVersion = true;

    public static Options defaults() {
      return new Options();
    }

    /** The binary: a path, or a name on PATH (default {@code mynasim}). */
    public Options binary(String binary) {
      this.binary = binary;
      return this;
    }

    public Options binary(Path binary) {
      return binary(binary.toString());
    }

    /** More arguments of {@code mynasim serve}, e.g. {@code "--config", "world.yaml"} or {@code "--api-user", url}. */
    public Options args(String... more) {
      for (String a : more) {
        args.add(a);
      }
      return this;
    }

    /** {@code --config FILE}: the world to serve. */
    public Options config(Path worldYaml) {
      return args("--config", worldYaml.toString());
    }

    /** {@code --api-user [CLIENT_ID=]URL}: point the services at your app (repeatable). */
    public Options apiUser(String spec) {
      return args("--api-user", spec);
    }

    /** {@code --scenario FILE}: start with a scenario. */
    public Options scenario(String file) {
      return args("--scenario", file);
    }

    /** How long to wait for the ready file (default 30 s). */
    public Options startTimeout(Duration d) {
      this.startTimeout = d;
      return this;
    }

    /** Timeout of every HTTP call (default 10 s). */
    public Options timeout(Duration d) {
      this.timeout = d;
      return this;
    }

    /** The admin bearer token (sent as {@code Authorization: Bearer …}); {@code --admin-token} in args sets it too. */
    public Options adminToken(String token) {
      this.adminToken = token;
      return this;
    }

    /** The CA (PEM) to trust for app and sp; when starting, the ready file's {@code ca_file} is the default. */
    public Options caFile(Path ca) {
      this.caFile = ca;
      return this;
    }

    /** The URLs of a running mynasim, for {@link #connect(Options)}. */
    public Options endpoints(Endpoints e) {
      this.endpoints = e;
      return this;
    }

    /** Whether to refuse an unsupported version (default true). */
    public Options checkVersion(boolean v) {
      this.checkVersion = v;
      return this;
    }
  }

  /** Starts {@code mynasim} from PATH on free ports. */
  public static Mynasim start() {
    return start(Options.defaults());
  }

  /** Starts a mynasim on free ports and waits (bounded) until it is ready. */
  public static Mynasim start(Options o) {
    String token = o.adminToken;
    for (int i = 0; i + 1 < o.args.size(); i++) {
      if ("--admin-token".equals(o.args.get(i)) && token == null) {
        token = o.args.get(i + 1);
      }
    }
    MynasimProcess p = MynasimProcess.start(o.binary, o.args, o.startTimeout);
    try {
      String v = p.version();
      if (o.checkVersion) {
        Version.require(v);
      }
      Path ca = o.caFile != null ? o.caFile : p.caFile();
      Transport t = new Transport(ca, o.timeout);
      return new Mynasim(t, p.endpoints(), token, p, v);
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /**
   * Connects to a running mynasim at {@code o.endpoints(…)}; reads and checks its version. An
   * admin URL of a named world ({@code …/worlds/{id}} or {@code …/worlds/{id}/__admin}, as {@code
   * mynasim world create --env} prints it) connects to that world: every call goes there and
   * {@link #id()} is its id.
   */
  public static Mynasim connect(Options o) {
    if (o.endpoints == null) {
      throw new IllegalArgumentException("connect needs the endpoints (at least the admin URL)");
    }
    Endpoints e = o.endpoints;
    if (e.admin().endsWith("/__admin")) {
      e = new Endpoints(e.app(), e.sp(), e.admin().substring(0, e.admin().length() - "/__admin".length()), e.systems());
    }
    Transport t = new Transport(o.caFile, o.timeout);
    Mynasim m = new Mynasim(t, e, o.adminToken, null, null);
    String v;
    if (o.checkVersion) {
      v = Version.require(m.readVersion());
    } else {
      try {
        v = m.readVersion();
      } catch (MynasimException ex) {
        v = null;
      }
    }
    return new Mynasim(t, e, o.adminToken, null, v);
  }

  /** The world id in an admin base URL {@code …/worlds/{id}}, or null. */
  static String worldIdOf(String adminBase) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("/worlds/([a-z0-9][a-z0-9-]{0,62})$").matcher(adminBase);
    return m.find() ? m.group(1) : null;
  }

  /**
   * The version of a running mynasim: {@code version} of {@code GET /__admin/health} when it has
   * one, else the {@code info.version} of the admin API document it serves
   * ({@code /__admin/openapi/mynasim-admin.yaml}) — mynasim 0.1.0's health has no version field.
   */
  String readVersion() {
    String v = Json.str(health(), "version");
    if (v != null) {
      return v;
    }
    String doc = admin.ok("GET", "/__admin/openapi/mynasim-admin.yaml", null, null).body;
    int info = doc.startsWith("info:") ? 0 : doc.indexOf("\ninfo:");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^  version:\\s*['\"]?([0-9][^'\"\\s]*)").matcher(doc);
    return info >= 0 && m.find(info) ? m.group(1) : null;
  }

  /**
   * From the environment: with {@code MYNASIM_ADMIN_URL} set, connects to it (and {@code
   * MYNASIM_APP_URL}, {@code MYNASIM_SP_URL}, {@code MYNASIM_SYSTEMS_URL}, {@code MYNASIM_CA},
   * {@code MYNASIM_ADMIN_TOKEN}, else {@code MYNASIM_WORLD_TOKEN}) — including the lines {@code
   * eval "$(mynasim world create --env)"} sets, which name one world; else starts {@code
   * MYNASIM_BIN} (default {@code mynasim} on PATH).
   */
  public static Mynasim fromEnv() {
    return fromEnv(System.getenv(), Options.defaults());
  }

  /** {@link #fromEnv()} over a given environment, on top of given options. */
  public static Mynasim fromEnv(Map<String, String> env, Options o) {
    String token = nonEmpty(env.get("MYNASIM_ADMIN_TOKEN"));
    if (token == null) {
      token = nonEmpty(env.get("MYNASIM_WORLD_TOKEN"));
    }
    if (token != null && o.adminToken == null) {
      o.adminToken(token);
    }
    String ca = nonEmpty(env.get("MYNASIM_CA"));
    if (ca != null && o.caFile == null) {
      o.caFile(Path.of(ca));
    }
    String admin = nonEmpty(env.get("MYNASIM_ADMIN_URL"));
    if (admin != null) {
      o.endpoints(new Endpoints(nonEmpty(env.get("MYNASIM_APP_URL")), nonEmpty(env.get("MYNASIM_SP_URL")), admin,
          nonEmpty(env.get("MYNASIM_SYSTEMS_URL"))));
      return connect(o);
    }
    String bin = nonEmpty(env.get("MYNASIM_BIN"));
    if (bin != null) {
      o.binary(bin);
    }
    return start(o);
  }

  private static String nonEmpty(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** The simulator's version (from the ready file or /__admin/health). */
  public String version() {
    return version;
  }

  /** The process, when this client started it; else null. */
  public MynasimProcess process() {
    return process;
  }

  /** Whether this client started the simulator (and {@link #close()} stops it). */
  public boolean started() {
    return process != null;
  }

  /** The default world (this object). */
  public MynasimWorld defaultWorld() {
    return this;
  }

  /**
   * Creates a named world ({@code POST /__admin/worlds}); answers a client bound to it — its own
   * URLs and its world token.
   */
  public MynasimWorld createWorld(WorldOptions options) {
    Map<String, Object> w = admin.call("POST", "/__admin/worlds", options.toMap());
    return worldOf(w, Json.str(w, "token"));
  }

  /** A client for a world that exists already (e.g. declared in YAML), using this client's token. */
  public MynasimWorld world(String id) {
    return worldOf(admin.get("/__admin/worlds/" + Admin.enc(id)), null);
  }

  private MynasimWorld worldOf(Map<String, Object> w, String worldToken) {
    String id = Json.str(w, "id");
    Map<String, Object> urls = Json.asMap(w.get("urls"));
    Endpoints mine = endpoints.world(id);
    String adminUrl = Json.str(urls, "admin");
    if (adminUrl != null && adminUrl.endsWith("/__admin")) { // the answer names the world's /__admin; we keep its base
      adminUrl = adminUrl.substring(0, adminUrl.length() - "/__admin".length());
    }
    Endpoints e = new Endpoints(orElse(Json.str(urls, "app"), mine.app()), orElse(Json.str(urls, "sp"), mine.sp()),
        orElse(adminUrl, mine.admin()), mine.systems());
    return new MynasimWorld(transport, e, id, worldToken != null ? worldToken : token(), admin);
  }

  private static String orElse(String a, String b) {
    return a == null || a.isEmpty() ? b : a;
  }

  /** The named worlds (GET /__admin/worlds): {@code {worlds, count, max}}. */
  public Map<String, Object> worlds() {
    return admin.get("/__admin/worlds");
  }

  /**
   * When connected to a named world (see {@link #connect}), removes it ({@code DELETE
   * /__admin/worlds/{id}}; needs the global token); the default world cannot be removed.
   */
  @Override
  public void delete() {
    if (id() == null) {
      super.delete();
      return;
    }
    String base = adminUrl().substring(0, adminUrl().length() - ("/worlds/" + id()).length());
    new Admin(transport, base, token()).call("DELETE", "/__admin/worlds/" + Admin.enc(id()), null);
  }

  /** Stops the simulator when this client started it (SIGTERM, bounded wait, kill); else nothing. */
  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}

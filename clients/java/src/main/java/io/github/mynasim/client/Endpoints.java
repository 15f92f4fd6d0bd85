// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.Map;
import java.util.Objects;

/**
 * The four base URLs of a mynasim: app (https), sp (https), admin (http), systems (http). Built
 * from a ready file, from environment variables, or from a host and mapped ports (a container).
 */
public final class Endpoints {
  private final String app;
  private final String sp;
  private final String admin;
  private final String systems;

  public Endpoints(String app, String sp, String admin, String systems) {
    this.app = strip(app);
    this.sp = strip(sp);
    this.admin = strip(Objects.requireNonNull(admin, "admin URL"));
    this.systems = strip(systems);
  }

  private static String strip(String s) {
    return s == null ? null : Admin.stripSlash(s);
  }

  /**
   * From a host and the ports the four listeners are reachable on (e.g. a container's mapped
   * ports): {@code https://host:app}, {@code https://host:sp}, {@code http://host:admin}, {@code
   * http://host:systems}. An IPv6 literal is bracketed.
   */
  public static Endpoints of(String host, int appPort, int spPort, int adminPort, int systemsPort) {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("no host");
    }
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return new Endpoints(url("https", h, appPort), url("https", h, spPort), url("http", h, adminPort),
        systemsPort > 0 ? url("http", h, systemsPort) : null);
  }

  private static String url(String scheme, String host, int port) {
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("bad port " + port);
    }
    return scheme + "://" + host + ":" + port;
  }

  /** From the {@code urls} object of a ready file. */
  public static Endpoints fromUrls(Map<String, Object> urls) {
    return new Endpoints(Json.str(urls, "app"), Json.str(urls, "sp"), Json.str(urls, "admin"), Json.str(urls, "systems"));
  }

  /** A world's base URLs under these: {@code …/worlds/{id}} on every listener. */
  public Endpoints world(String id) {
    String p = "/worlds/" + Admin.enc(id);
    return new Endpoints(app == null ? null : app + p, sp == null ? null : sp + p, admin + p,
        systems == null ? null : systems + p);
  }

  public String app() {
    return app;
  }

  public String sp() {
    return sp;
  }

  public String admin() {
    return admin;
  }

  public String systems() {
    return systems;
  }

  @Override
  public String toString() {
    return "Endpoints{app=" + app + ", sp=" + sp + ", admin=" + admin + ", systems=" + systems + "}";
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Endpoints)) {
      return false;
    }
    Endpoints e = (Endpoints) o;
    return Objects.equals(app, e.app) && Objects.equals(sp, e.sp) && admin.equals(e.admin)
        && Objects.equals(systems, e.systems);
  }

  @Override
  public int hashCode() {
    return Objects.hash(app, sp, admin, systems);
  }
}

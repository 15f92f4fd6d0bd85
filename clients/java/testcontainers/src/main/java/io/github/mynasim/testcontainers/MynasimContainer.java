// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.testcontainers;

import io.github.mynasim.client.Endpoints;
import io.github.mynasim.client.Mynasim;
import io.github.mynasim.client.Readiness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * mynasim in a container, for Testcontainers:
 *
 * <pre>{@code
 * @Container
 * static MynasimContainer mynasim = new MynasimContainer(DockerImageName.parse("mynasim:0.1.0"))
 *     .withClock(Instant.parse("2026-12-29T01:00:00Z"))
 *     .withApiUser("http://host.testcontainers.internal:4000");
 *
 * Mynasim sim = mynasim.client();   // the Java client, connected, trusting the container's CA
 * }</pre>
 *
 * <p>The image is the one the repository's {@code Dockerfile} builds (entrypoint {@code mynasim},
 * listeners app 8443, sp 9443, admin 8081, systems 8090). The container listens on every
 * interface, so the admin API requires the bearer token ({@link #withAdminToken}, default {@code
 * dev-admin-token}). Ready when {@code GET /readyz} on the admin port answers 200 (the same probe as
 * {@link Readiness#await}). URL building from the mapped ports is {@link Endpoints#of} of the client.
 *
 * <p>NOT compiled or run by this repository's tests (no Testcontainers jar and no Docker there).
 */
public class MynasimContainer extends GenericContainer<MynasimContainer> {
  private static final DockerImageName DEFAULT_IMAGE_NAME = DockerImageName.parse("mynasim");
  public static final int APP_PORT = 8443;
  public static final int SP_PORT = 9443;
  public static final int ADMIN_PORT = 8081;
  public static final int SYSTEMS_PORT = 8090;
  /** The development admin token the image uses unless told otherwise. */
  public static final String DEFAULT_ADMIN_TOKEN = "dev-admin-token";
  private static final String WORLD_DIR = "/world";
  private static final String SCENARIO_DIR = "/usr/share/mynasim/scenarios";
  private static final String CA_IN_CONTAINER = "/var/lib/mynasim/certs/ca.crt";

  private String adminToken = DEFAULT_ADMIN_TOKEN;
  private Instant clock;
  private String scenarioFile;
  private final List<String> apiUsers = new ArrayList<>();
  private Path caFile;

  public MynasimContainer(DockerImageName dockerImageName) {
    super(dockerImageName);
    dockerImageName.assertCompatibleWith(DEFAULT_IMAGE_NAME);
    addExposedPorts(APP_PORT, SP_PORT, ADMIN_PORT, SYSTEMS_PORT);
    waitingFor(new ReadyzWaitStrategy().withStartupTimeout(Duration.ofSeconds(60)));
  }

  /** A world folder of your own (a copy of fixtures/ edited): mounted at /world, world.yaml its entry. */
  public MynasimContainer withWorld(Path worldDir) {
    withCopyFileToContainer(MountableFile.forHostPath(worldDir), WORLD_DIR);
    return withEnv("MYNASIM_CONFIG", WORLD_DIR + "/world.yaml");
  }

  /** The virtual now once started (set through the admin API; the clock runs on from there). */
  public MynasimContainer withClock(Instant now) {
    this.clock = now;
    return self();
  }

  /** A scenario file, started with the simulator ({@code serve --scenario}). */
  public MynasimContainer withScenario(Path scenarioYaml) {
    String name = scenarioYaml.getFileName().toString();
    withCopyFileToContainer(MountableFile.forHostPath(scenarioYaml), SCENARIO_DIR + "/" + name);
    this.scenarioFile = SCENARIO_DIR + "/" + name;
    return self();
  }

  /** {@code [CLIENT_ID=]URL} of your app ({@code serve --api-user}); repeatable. */
  public MynasimContainer withApiUser(String spec) {
    apiUsers.add(spec);
    return self();
  }

  /** The admin bearer token (also given to the container as MYNASIM_ADMIN_TOKEN). */
  public MynasimContainer withAdminToken(String token) {
    this.adminToken = token;
    return self();
  }

  @Override
  protected void configure() {
    withEnv("MYNASIM_ADMIN_TOKEN", adminToken);
    List<String> cmd = new ArrayList<>(List.of("serve", "--host", "0.0.0.0", "--admin-host", "0.0.0.0"));
    if (scenarioFile != null) {
      cmd.add("--scenario");
      cmd.add(scenarioFile);
    }
    for (String a : apiUsers) {
      cmd.add("--api-user");
      cmd.add(a);
    }
    setCommand(cmd.toArray(new String[0]));
  }

  @Override
  protected void containerIsStarted(com.github.dockerjava.api.command.InspectContainerResponse containerInfo) {
    try {
      caFile = Files.createTempFile("mynasim-ca-", ".crt");
      copyFileFromContainer(CA_IN_CONTAINER, caFile.toString());
    } catch (IOException e) {
      throw new IllegalStateException("cannot copy the CA out of the container", e);
    }
    if (clock != null) {
      try (Mynasim sim = client()) {
        sim.clock().set(clock);
      }
    }
  }

  /** The four base URLs on the host (mapped ports). */
  public Endpoints getEndpoints() {
    return Endpoints.of(getHost(), getMappedPort(APP_PORT), getMappedPort(SP_PORT), getMappedPort(ADMIN_PORT),
        getMappedPort(SYSTEMS_PORT));
  }

  public String getAppUrl() {
    return getEndpoints().app();
  }

  public String getSpUrl() {
    return getEndpoints().sp();
  }

  public String getAdminUrl() {
    return getEndpoints().admin();
  }

  public String getSystemsUrl() {
    return getEndpoints().systems();
  }

  public String getAdminToken() {
    return adminToken;
  }

  /** The container's development CA, copied to a temporary file: trust it for app and sp. */
  public Path getCaFile() {
    return caFile;
  }

  /** The Java client, connected to this container (closing it leaves the container running). */
  public Mynasim client() {
    return Mynasim.connect(Mynasim.Options.defaults().endpoints(getEndpoints()).adminToken(adminToken).caFile(caFile));
  }

  /** Waits until {@code /readyz} on the admin port answers 200 (no token needed). */
  static final class ReadyzWaitStrategy extends AbstractWaitStrategy {
    @Override
    protected void waitUntilReady() {
      String admin = "http://" + waitStrategyTarget.getHost() + ":" + waitStrategyTarget.getMappedPort(ADMIN_PORT);
      Readiness.await(admin, startupTimeout, Duration.ofMillis(200));
    }
  }
}

// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client.junit;

import io.github.mynasim.client.Mynasim;
import io.github.mynasim.client.MynasimException;
import io.github.mynasim.client.MynasimWorld;
import io.github.mynasim.client.WorldOptions;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: {@code @ExtendWith(MynasimExtension.class)} injects
 *
 * <ul>
 *   <li>{@link Mynasim} — one simulator for the whole test run, from {@link Mynasim#fromEnv()}:
 *       connected to {@code MYNASIM_ADMIN_URL} when set, else started ({@code MYNASIM_BIN} or
 *       {@code mynasim} on PATH) on free ports and stopped when the run ends;
 *   <li>{@link MynasimWorld} — a fresh named world per test (its own clock, faults, journal,
 *       sessions), deleted after the test. Annotate the test method or class with {@link
 *       WorldSettings} to start its clock elsewhere or bind services to it. When the environment
 *       names one world ({@code eval "$(mynasim world create --env)"}), that world is reset and
 *       given to each test instead ({@link WorldSettings} then does not apply).
 * </ul>
 *
 * <p>Parameters of test methods, lifecycle methods and constructors are resolved; asking for the
 * world twice in one test gives the same world.
 */
public final class MynasimExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MynasimExtension.class);
  private static final String SIM = "simulator";
  private static final String WORLD = "world";

  @Override
  public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
    Class<?> t = pc.getParameter().getType();
    return t == Mynasim.class || t == MynasimWorld.class;
  }

  @Override
  public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
    try {
      Mynasim sim = simulator(ec);
      if (pc.getParameter().getType() == Mynasim.class) {
        return sim;
      }
      if (sim.id() != null) {
        // connected to one named world (MYNASIM_WORLD_TOKEN cannot create others): reset it per test
        return ec.getStore(NS).getOrComputeIfAbsent(WORLD, k -> {
          sim.reset();
          return new WorldResource(sim, false);
        }, WorldResource.class).world;
      }
      return ec.getStore(NS).getOrComputeIfAbsent(WORLD, k -> new WorldResource(sim.createWorld(options(ec)), true),
          WorldResource.class).world;
    } catch (MynasimException e) {
      throw new ParameterResolutionException("mynasim: " + e.getMessage(), e);
    }
  }

  /** The run-wide simulator (started or connected once, closed at the end of the run). */
  static Mynasim simulator(ExtensionContext ec) {
    return ec.getRoot().getStore(NS).getOrComputeIfAbsent(SIM, k -> new SimResource(Mynasim.fromEnv()),
        SimResource.class).sim;
  }

  private static WorldOptions options(ExtensionContext ec) {
    WorldSettings s = ec.getTestMethod().map(m -> m.getAnnotation(WorldSettings.class)).orElse(null);
    if (s == null) {
      s = ec.getTestClass().map(c -> c.getAnnotation(WorldSettings.class)).orElse(null);
    }
    WorldOptions o = WorldOptions.defaults().ttl(Duration.ofMinutes(10));
    if (s != null) {
      if (!s.clock().isEmpty()) {
        o.clock(OffsetDateTime.parse(s.clock()));
      }
      for (String b : s.bind()) {
        o.bind(b);
      }
      for (String a : s.apiUsers()) {
        o.apiUser(a);
      }
    }
    return o;
  }

  static String describe(ExtensionContext ec) {
    return ec.getTestMethod().map(Method::getName).orElse(ec.getDisplayName());
  }

  private static final class SimResource implements ExtensionContext.Store.CloseableResource {
    final Mynasim sim;

    SimResource(Mynasim sim) {
      this.sim = sim;
    }

    @Override
    public void close() {
      sim.close();
    }
  }

  private static final class WorldResource implements ExtensionContext.Store.CloseableResource {
    final MynasimWorld world;
    final boolean owned;

    WorldResource(MynasimWorld world, boolean owned) {
      this.world = world;
      this.owned = owned;
    }

    @Override
    public void close() {
      if (!owned) {
        return;
      }
      try {
        world.delete();
      } catch (MynasimException e) {
        if (e.status() != 404) { // already deleted by the test
          throw e;
        }
      }
    }
  }
}

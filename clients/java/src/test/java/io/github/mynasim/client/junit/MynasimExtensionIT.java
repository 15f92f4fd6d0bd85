// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.mynasim.client.FaultSpec;
import io.github.mynasim.client.JournalFilter;
import io.github.mynasim.client.Mynasim;
import io.github.mynasim.client.MynasimWorld;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The extension as a user meets it: one simulator (started from MYNASIM_BIN / PATH, since
 * MYNASIM_ADMIN_URL is unset), a fresh world per test.
 */
@ExtendWith(MynasimExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MynasimExtensionIT {
  static final Set<String> WORLDS = new HashSet<>();
  static Mynasim shared;

  @Test
  @Order(1)
  void injectsTheSimulatorAndAFreshWorld(Mynasim sim, MynasimWorld world, MynasimWorld same) {
    shared = sim;
    assertTrue(sim.started());
    assertNotNull(world.id());
    assertSame(world, same, "one world per test");
    WORLDS.add(world.id());
    world.faults().add(FaultSpec.latency("municipal", 1));
    world.authorize("SP00000086_AA0003", "http://localhost:3000/callback", "taro");
    assertEquals(1, world.journal().count(JournalFilter.clientId("SP00000086_AA0003")));
  }

  @Test
  @Order(2)
  void theNextTestGetsAnotherCleanWorldOnTheSameSimulator(Mynasim sim, MynasimWorld world) {
    assertSame(shared, sim);
    assertTrue(WORLDS.add(world.id()), "a new world");
    assertEquals(0, world.faults().list().size());
    assertEquals(0, world.journal().count(JournalFilter.clientId("SP00000086_AA0003")));
    for (String old : WORLDS) {
      if (!old.equals(world.id())) {
        assertTrue(sim.worlds().toString().indexOf(old) < 0, "the previous test's world was deleted");
      }
    }
  }

  @Test
  @Order(3)
  @WorldSettings(clock = "2026-12-29T10:00:00+09:00")
  void worldSettingsStartTheClockElsewhere(Mynasim sim, MynasimWorld world) {
    assertEquals(OffsetDateTime.parse("2026-12-29T10:00:00+09:00").toLocalDate(), world.clock().now().toLocalDate());
    long defaultOffWall = Math.abs(java.time.Duration.between(OffsetDateTime.now(), sim.clock().now()).toMinutes());
    assertTrue(defaultOffWall < 5, "the default world still follows the wall clock");
  }

  @AfterAll
  static void simulatorStillUpUntilTheRunEnds() {
    assertEquals("ok", shared.health().get("status"));
  }
}

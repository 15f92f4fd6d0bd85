// SPDX-License-Identifier: Apache-2.0
// The state every system of one world shares: its configuration, holidays, its virtual clock
// and the availability rules. Built once from a world_config; no I/O. One per world: the
// default world's and each named world's (app/app_impl.hpp).
#pragma once

#include "calendar/availability.hpp"
#include "calendar/holidays.hpp"
#include "clock/virtual_clock.hpp"
#include "config/world.hpp"
#include "core/hop_seal.hpp"

namespace mynasim {

struct world_runtime {
  explicit world_runtime(world_config w)
      : world(std::move(w)),
        holidays(world.holidays),
        clock(world.clock),
        availability(world, holidays),
        data(std::move(world.data)) {}
  // A world whose sheets start as a snapshot shared with others (`w.data` is ignored).
  world_runtime(world_config w, std::shared_ptr<const world_data> shared)
      : world(std::move(w)),
        holidays(world.holidays),
        clock(world.clock),
        availability(world, holidays),
        data(std::move(shared)) {
    world.data = {};
  }
  world_runtime(const world_runtime&) = delete;
  world_runtime& operator=(const world_runtime&) = delete;

  world_config world;
  holiday_calendar holidays;
  virtual_clock clock;
  availability_service availability;
  // The sheets (services, connections, personas, items, portal settings, errors): moved out
  // of `world` at start, since the admin API and reloads replace them while serving.
  data_source data;
  // Seals who a hop between the simulated systems is for (core/hop_seal.hpp).
  hop_seal hops;
};

}  // namespace mynasim

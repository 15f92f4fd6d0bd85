// SPDX-License-Identifier: Apache-2.0
// --faketime-dir: each world's virtual now where libfaketime reads it (FAKETIME_TIMESTAMP_FILE
// with FAKETIME_NO_CACHE=1), so that the app under test lives on the world's clock: DIR/default
// for the default world, DIR/worlds/{id} for a named one. Kept from the housekeeping tick (every
// 100 ms): a file is written when its clock changed, or drifted 50 ms from what was written (a
// speed other than 1), and removed with its world or at stop. Each file is written whole (a
// temporary renamed into place), so a reader never sees half a line.
#include <filesystem>
#include <fstream>
#include <thread>

#include "app/app_impl.hpp"

namespace mynasim {
namespace {

namespace fs = std::filesystem;

struct faketime_write {
  fs::path path;
  std::string line;  // "" removes the file
};

void apply(const std::vector<faketime_write>& writes) {
  for (const auto& w : writes) {
    std::error_code ec;
    if (w.line.empty()) {
      fs::remove(w.path, ec);
      continue;
    }
    auto temporary = w.path;
    temporary += ".tmp";
    {
      std::ofstream out(temporary, std::ios::trunc | std::ios::binary);
      out << w.line;
      if (!out.flush()) continue;
    }
    fs::rename(temporary, w.path, ec);
  }
}

}  // namespace

void simulator_app::impl::keep_faketime_files(bool inline_write) {
  if (options.faketime_dir.empty()) return;
  if (!inline_write && faketime_writing->exchange(true)) return;  // the last batch is still being written
  const auto wall = instant{std::chrono::floor<millis>(std::chrono::system_clock::now()).time_since_epoch()};
  const fs::path dir = options.faketime_dir;
  std::vector<faketime_write> writes;
  std::map<std::string, faketime_spec> alive;
  auto consider = [&](const std::string& key, const world_instance& w) {
    auto spec = faketime_of(w.rt.clock.state(), wall);
    auto it = faketime_written.find(key);
    if (it == faketime_written.end() || faketime_due(it->second, spec))
      writes.push_back({dir / key, spec.line});
    else
      spec = it->second;
    alive.emplace(key, std::move(spec));
  };
  consider("default", *home);
  {
    std::lock_guard lock(worlds_mutex);
    for (const auto& [id, w] : worlds) consider("worlds/" + id, *w);
  }
  for (const auto& [key, spec] : faketime_written)
    if (!alive.count(key)) writes.push_back({dir / key, ""});
  if (writes.empty()) {
    if (!inline_write) faketime_writing->store(false);
    return;
  }
  auto previous = std::exchange(faketime_written, std::move(alive));
  if (inline_write) return apply(writes);
  bool queued = background.submit("faketime", [writes = std::move(writes), busy = faketime_writing] {
    apply(writes);
    busy->store(false);
  });
  if (!queued) {  // the pool is full or stopping: try again on a later tick
    faketime_written = std::move(previous);
    faketime_writing->store(false);
  }
}

void simulator_app::impl::remove_faketime_files() {
  if (options.faketime_dir.empty()) return;
  // A batch still being written would bring a file back: wait for it (it writes a few lines).
  for (int i = 0; i < 200 && faketime_writing->load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<faketime_write> writes;
  for (const auto& [key, spec] : faketime_written) writes.push_back({fs::path(options.faketime_dir) / key, ""});
  faketime_written.clear();
  apply(writes);
}

}  // namespace mynasim

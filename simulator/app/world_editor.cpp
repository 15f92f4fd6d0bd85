// SPDX-License-Identifier: Apache-2.0
#include "app/world_editor.hpp"

#include <set>

#include <sys/stat.h>

#include "config/yaml_reader.hpp"

namespace mynasim {

world_editor::world_editor(world_runtime& rt, std::vector<sheet_change> startup,
                           std::function<void(const world_data&)> changed)
    : rt_(&rt), changed_(std::move(changed)), changes_(std::move(startup)) {
  remember_files(rt.world.files);
}

edit_outcome world_editor::change(sheet_change c) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<world_data>(*rt_->data.get());
  try {
    apply_sheet_changes(rt_->world, *next, {c});
  } catch (const config_error& e) {
    return {400, {{"error", "invalid_entry"}, {"message", e.what()}}};
  }
  auto recorded = c;
  if (!record_sheet_change(changes_, std::move(recorded)))
    return {507,
            {{"error", "too_many_changes"},
             {"message", "at most " + std::to_string(max_sheet_changes) +
                             " runtime changes are kept; fold them into the world files and reload"}}};
  rt_->data.replace(next);
  ++version_;
  if (changed_) changed_(*next);
  return {200, {{"applied", c.origin}}};
}

edit_outcome world_editor::reload(const std::string& why) {
  std::lock_guard lock(mutex_);
  world_config fresh;
  try {
    fresh = load_world(rt_->world.entry_file);
    apply_sheet_changes(fresh, fresh.data, changes_);
  } catch (const config_error& e) {
    return {400, {{"error", "invalid_world"}, {"message", e.what()}, {"kept", "the running world is unchanged"}}};
  }
  nlohmann::json restart = nlohmann::json::array();
  std::set<std::string> keys;
  for (const auto& [k, v] : fresh.fixed_sections) keys.insert(k);
  for (const auto& [k, v] : rt_->world.fixed_sections) keys.insert(k);
  for (const auto& k : keys) {
    auto a = fresh.fixed_sections.find(k), b = rt_->world.fixed_sections.find(k);
    std::string av = a == fresh.fixed_sections.end() ? "" : a->second;
    std::string bv = b == rt_->world.fixed_sections.end() ? "" : b->second;
    if (av != bv) restart.push_back(k);
  }
  auto next = std::make_shared<world_data>(std::move(fresh.data));
  rt_->data.replace(next);
  ++version_;
  remember_files(fresh.files);
  if (changed_) changed_(*next);
  return {200,
          {{"reloaded", why},
           {"files", fresh.files},
           {"services", next->services.size()},
           {"connections", next->connections.size()},
           {"personas", next->personas.size()},
           {"items", next->items.size()},
           {"runtime_changes_replayed", changes_.size()},
           {"restart_required", restart}}};
}

world_editor::stamp world_editor::stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
          static_cast<long long>(st.st_size), static_cast<long long>(st.st_ino)};
}

void world_editor::remember_files(const std::vector<std::string>& files) {
  stamps_.clear();
  for (const auto& f : files) stamps_[f] = stamp_of(f);
}

bool world_editor::files_changed() {
  std::lock_guard lock(mutex_);
  bool changed = false;
  for (auto& [file, seen] : stamps_) {
    auto now = stamp_of(file);
    if (!(now == seen)) {
      seen = now;
      changed = true;
    }
  }
  return changed;
}

nlohmann::json world_editor::changes_json(bool full) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : changes_) {
    nlohmann::json j{{"origin", c.origin}, {"section", c.section}, {"id", c.id}, {"op", to_string(c.what)}};
    if (full) j["text"] = c.text;
    list.push_back(std::move(j));
  }
  return list;
}

std::uint64_t world_editor::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

edit_outcome world_editor::adopt(std::vector<sheet_change> changes) {
  {
    std::lock_guard lock(mutex_);
    changes_ = std::move(changes);
  }
  return reload("the world owner's sheets changed");
}

}  // namespace mynasim

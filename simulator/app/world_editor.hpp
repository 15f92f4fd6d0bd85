// SPDX-License-Identifier: Apache-2.0
// Changing the world while it serves: sheet entries through the admin API, and reloads of
// the world files (POST /__admin/reload, `serve --watch`). A change or reload is validated
// whole before anything is replaced; an invalid one leaves the running world untouched.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/runtime.hpp"
#include "config/sheet_changes.hpp"

namespace mynasim {

struct edit_outcome {
  int status = 200;
  nlohmann::json body;
};

class world_editor {
 public:
  // `startup` are the changes already applied to the world (--api-user); `changed` runs after
  // every replacement (card states, JPKI certificates follow the new personas).
  world_editor(world_runtime& rt, std::vector<sheet_change> startup, std::function<void(const world_data&)> changed);

  edit_outcome change(sheet_change c);
  edit_outcome reload(const std::string& why);
  // For --watch: true once when a world file's size, inode or modification time changed.
  bool files_changed();
  nlohmann::json changes_json(bool full = false) const;
  // Bumped by every change and reload: a split world's followers refetch the sheets then.
  std::uint64_t version() const;
  // A follower: the owner's runtime changes over this process's own world files.
  edit_outcome adopt(std::vector<sheet_change> changes);

 private:
  struct stamp {
    long long mtime_ns = -1, size = -1, inode = -1;
    bool operator==(const stamp&) const = default;
  };
  static stamp stamp_of(const std::string& path);
  void remember_files(const std::vector<std::string>& files);

  world_runtime* rt_;
  std::function<void(const world_data&)> changed_;
  mutable std::mutex mutex_;
  std::vector<sheet_change> changes_;
  std::map<std::string, stamp> stamps_;
  std::uint64_t version_ = 1;
};

}  // namespace mynasim

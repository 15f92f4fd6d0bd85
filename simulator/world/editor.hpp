// SPDX-License-Identifier: Apache-2.0
// Changing the world while it serves: sheet entries through the admin API, and reloads of
// the world files (POST /__admin/reload, `serve --watch`). A change or reload is validated
// whole before anything is replaced; an invalid one leaves the running world untouched.
//
// The work of a change — copying the world, re-planning every card (a CRL signed and
// written) — runs on the background pool, never on an I/O thread: one job at a time, in the
// order asked, at most `max_pending` waiting; the caller hears the outcome through a callback,
// called from the worker thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/sheet_changes.hpp"
#include "world/runtime.hpp"

namespace mynasim {

class background_pool;

struct edit_outcome {
  int status = 200;
  nlohmann::json body;
  bool created = false;  // a put that added its entry
};
using edit_done = std::function<void(edit_outcome)>;
using editor_log = std::function<void(const std::string& event, const nlohmann::json& detail)>;

class world_editor {
 public:
  // `startup` are the changes already applied to the world (--api-user); `changed` runs after
  // every replacement (card states, JPKI certificates follow the new personas). `pool`: where
  // the work runs (null: on the caller's thread). `log`: a line per change a reload dropped.
  // `pool_owner`: whose turn its jobs take in the pool — one per world, so that one world's
  // edits never fill another's share.
  world_editor(world_runtime& rt, std::vector<sheet_change> startup, std::function<void(const world_data&)> changed,
               background_pool* pool = nullptr, editor_log log = {}, std::string pool_owner = "admin");
  ~world_editor();
  world_editor(const world_editor&) = delete;
  world_editor& operator=(const world_editor&) = delete;

  // Queued; `done` gets the outcome (503 `editor_busy` when the queue is full), while the job's
  // turn lasts: it must not wait for another job of this editor.
  void change(sheet_change c, edit_done done);
  void reload(std::string why, edit_done done);
  // A follower: the owner's runtime changes over this process's own world files.
  void adopt(std::vector<sheet_change> changes, edit_done done);
  // DELETE /__admin/changes: every runtime change but --api-user's forgotten, the files reloaded.
  void forget(edit_done done);

  // For --watch: true once when a world file's size, inode or modification time changed
  // (never throws: a file that cannot be examined counts as changed, and its reload says why).
  bool files_changed();
  nlohmann::json changes_json(bool full = false) const;
  // Bumped by every change and reload: a split world's followers refetch the sheets then.
  std::uint64_t version() const;

  static constexpr std::size_t max_pending = 64;

 private:
  struct stamp {
    long long mtime_ns = -1, size = -1, inode = -1;
    bool operator==(const stamp&) const = default;
  };
  using job = std::function<edit_outcome()>;
  struct pending {
    job work;
    edit_done done;
  };
  static stamp stamp_of(const std::string& path);
  void remember_files(const std::vector<std::string>& files);

  void enqueue(job work, edit_done done);
  void schedule_next();
  void run_next();
  edit_outcome run(const job& work);  // exceptions become a 500 outcome
  edit_outcome run_change(const sheet_change& c);
  edit_outcome run_reload(const std::string& why, std::optional<std::vector<sheet_change>> replace);
  void publish(const std::shared_ptr<world_data>& next, std::vector<sheet_change> changes);

  world_runtime* rt_;
  std::function<void(const world_data&)> changed_;
  background_pool* pool_;
  editor_log log_;
  std::string pool_owner_;
  change_limits limits_;
  std::vector<sheet_change> startup_;
  std::mutex work_mutex_;  // held by the one job running
  std::mutex queue_mutex_;
  std::deque<pending> queue_;
  bool draining_ = false;     // a job of this queue is with the pool
  mutable std::mutex mutex_;  // the state below, read by admin routes while a job runs
  std::vector<sheet_change> changes_;
  std::map<std::string, stamp> stamps_;
  std::uint64_t version_ = 1;
};

}  // namespace mynasim

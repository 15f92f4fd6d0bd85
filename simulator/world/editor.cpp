// SPDX-License-Identifier: Apache-2.0
#include "world/editor.hpp"

#include <algorithm>
#include <set>

#include <sys/stat.h>

#include "config/yaml_reader.hpp"
#include "core/background_pool.hpp"

namespace mynasim {

namespace {

// A message as an answer and a log field carry it: at most 2000 bytes, cut between characters.
std::string bounded(std::string text) {
  constexpr std::size_t most = 2000;
  if (text.size() <= most) return text;
  auto end = most;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "…";
}

edit_outcome refusal(int status, const std::string& error, const std::string& message) {
  return {status, {{"error", error}, {"error_description", message}}};
}

// The sections a reload cannot apply that the edited files change.
nlohmann::json restart_required(const world_config& fresh, const world_config& running) {
  nlohmann::json restart = nlohmann::json::array();
  std::set<std::string> keys;
  for (const auto& [k, v] : fresh.fixed_sections) keys.insert(k);
  for (const auto& [k, v] : running.fixed_sections) keys.insert(k);
  for (const auto& k : keys) {
    auto a = fresh.fixed_sections.find(k), b = running.fixed_sections.find(k);
    std::string av = a == fresh.fixed_sections.end() ? "" : a->second;
    std::string bv = b == running.fixed_sections.end() ? "" : b->second;
    if (av != bv) restart.push_back(k);
  }
  return restart;
}

bool entry_exists(const world_data& d, const sheet_change& c) {
  if (c.section == "services") return d.find_service(c.id) != nullptr;
  if (c.section == "connections") return d.find_connection(c.id) != nullptr;
  return d.find_persona(c.id) != nullptr;
}

edit_outcome limit_refusal(record_result r, const change_limits& limits) {
  const std::string out = "; DELETE /__admin/changes forgets the runtime changes (the files apply again)";
  switch (r) {
    case record_result::too_large:
      return refusal(413, "change_too_large",
                     "one runtime change holds at most " + std::to_string(limits.max_change_bytes) +
                         " bytes (qa.runtime_changes.max_change_bytes)");
    case record_result::too_many:
      return refusal(507, "too_many_changes",
                     "at most " + std::to_string(limits.max_changes) +
                         " runtime changes are kept (qa.runtime_changes.max_changes)" + out);
    case record_result::list_full:
      return refusal(413, "runtime_changes_full",
                     "the runtime changes would pass " + std::to_string(limits.max_bytes) +
                         " bytes (qa.runtime_changes.max_bytes)" + out);
    case record_result::recorded:
      break;
  }
  return {};
}

}  // namespace

world_editor::world_editor(world_runtime& rt, std::vector<sheet_change> startup,
                           std::function<void(const world_data&)> changed, background_pool* pool, editor_log log,
                           std::string pool_owner)
    : rt_(&rt),
      changed_(std::move(changed)),
      pool_(pool),
      log_(std::move(log)),
      pool_owner_(std::move(pool_owner)),
      limits_(rt.world.qa.runtime_changes),
      startup_(startup),
      changes_(std::move(startup)) {
  // A follower reads the whole list within its answer limit (app/world_link.cpp).
  limits_.max_bytes = std::min(limits_.max_bytes, max_change_list_bytes);
  remember_files(rt.world.files);
}

// The pool that runs the jobs is stopped before the editor goes (it is declared after it).
world_editor::~world_editor() = default;

void world_editor::enqueue(job work, edit_done done) {
  if (!pool_) {
    std::lock_guard lock(work_mutex_);
    return done(run(work));
  }
  {
    std::unique_lock lock(queue_mutex_);
    if (queue_.size() >= max_pending) {
      lock.unlock();
      return done(
          refusal(503, "editor_busy", "too many sheet changes and reloads are waiting; try again when they are done"));
    }
    queue_.push_back({std::move(work), std::move(done)});
    if (draining_) return;
    draining_ = true;
  }
  schedule_next();
}

// One job per turn of the pool, so the world's queue takes turns with other owners' work.
void world_editor::schedule_next() {
  if (pool_->submit(pool_owner_, [this] { run_next(); })) return;
  std::deque<pending> refused;
  {
    std::lock_guard lock(queue_mutex_);
    refused.swap(queue_);
    draining_ = false;
  }
  for (auto& p : refused) p.done(refusal(503, "editor_busy", "the background workers are busy or stopping"));
}

void world_editor::run_next() {
  pending p;
  {
    std::lock_guard lock(queue_mutex_);
    p = std::move(queue_.front());
    queue_.pop_front();
  }
  {
    std::lock_guard work(work_mutex_);  // held while answering too: the answer reads the world this job left
    auto outcome = run(p.work);
    try {
      p.done(std::move(outcome));
    } catch (const std::exception&) {  // an answer that cannot be given is not the next job's problem
    }
  }
  bool more = false;
  {
    std::lock_guard lock(queue_mutex_);
    more = !queue_.empty();
    draining_ = more;
  }
  if (more) schedule_next();
}

edit_outcome world_editor::run(const job& work) {
  try {
    return work();
  } catch (const std::exception& e) {  // never out of a background or timer path
    return refusal(500, "edit_failed", bounded(e.what()));
  }
}

void world_editor::change(sheet_change c, edit_done done) {
  enqueue([this, c = std::move(c)] { return run_change(c); }, std::move(done));
}

void world_editor::reload(std::string why, edit_done done) {
  enqueue([this, why = std::move(why)] { return run_reload(why, std::nullopt); }, std::move(done));
}

void world_editor::adopt(std::vector<sheet_change> changes, edit_done done) {
  enqueue(
      [this, changes = std::move(changes)]() mutable {
        return run_reload("the world owner's sheets changed", std::move(changes));  // the job runs once
      },
      std::move(done));
}

void world_editor::forget(edit_done done) {
  enqueue([this] { return run_reload("DELETE /__admin/changes", startup_); }, std::move(done));
}

void world_editor::publish(const std::shared_ptr<world_data>& next, std::vector<sheet_change> changes) {
  rt_->data.replace(next);
  {
    std::lock_guard lock(mutex_);
    changes_ = std::move(changes);
    ++version_;
  }
  if (changed_) changed_(*next);
}

edit_outcome world_editor::run_change(const sheet_change& c) {
  if (change_wire_bytes(c) > limits_.max_change_bytes) return limit_refusal(record_result::too_large, limits_);
  auto current = rt_->data.get();
  bool existed = entry_exists(*current, c);
  if (!existed && c.what != sheet_change::op::put)
    return {404,
            {{"error", "not_found"},
             {"error_description", "no " + c.section.substr(0, c.section.size() - 1) + " '" + c.id + "'"}}};
  auto next = std::make_shared<world_data>(*current);
  try {
    apply_sheet_changes(rt_->world, *next, {c});
  } catch (const config_error& e) {
    return refusal(400, "invalid_entry", bounded(e.what()));
  }
  std::vector<sheet_change> list;
  {
    std::lock_guard lock(mutex_);
    list = changes_;
  }
  auto recorded = record_sheet_change(list, c, *current, *next, limits_);
  if (recorded != record_result::recorded) return limit_refusal(recorded, limits_);
  publish(next, std::move(list));
  return {200, {{"applied", c.origin}}, !existed};
}

// The files read again and `replace` (or the changes kept) replayed over them; a change that no
// longer applies is dropped with a warning.
edit_outcome world_editor::run_reload(const std::string& why, std::optional<std::vector<sheet_change>> replace) {
  world_config fresh;
  std::vector<sheet_change> list;
  if (replace) {
    list = std::move(*replace);
  } else {
    std::lock_guard lock(mutex_);
    list = changes_;
  }
  try {
    fresh = load_world(rt_->world.entry_file, rt_->world.folder);
  } catch (const config_error& e) {
    return {400,
            {{"error", "invalid_world"},
             {"error_description", bounded(e.what())},
             {"kept", "the running world is unchanged"}}};
  }
  auto dropped = replay_sheet_changes(fresh, fresh.data, list);
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& d : dropped) {
    nlohmann::json w{{"origin", bounded(d.change.origin)},
                     {"section", d.change.section},
                     {"id", bounded(d.change.id)},
                     {"op", to_string(d.change.what)},
                     {"message", bounded(d.message)}};
    if (log_) log_("runtime_change_dropped", w);
    warnings.push_back(std::move(w));
  }
  auto restart = restart_required(fresh, rt_->world);
  auto next = std::make_shared<world_data>(std::move(fresh.data));
  auto replayed = list.size();
  {
    std::lock_guard lock(mutex_);
    remember_files(fresh.files);
  }
  publish(next, std::move(list));
  return {200,
          {{"reloaded", why},
           {"files", fresh.files},
           {"services", next->services.size()},
           {"connections", next->connections.size()},
           {"personas", next->personas.size()},
           {"items", next->items.size()},
           {"runtime_changes_replayed", replayed},
           {"dropped", warnings},
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

}  // namespace mynasim

// SPDX-License-Identifier: Apache-2.0
#include "admin/qa_routes.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>

#include "config/yaml_reader.hpp"
#include "conformance/lint.hpp"
#include "core/file_read.hpp"
#include "core/json_util.hpp"

namespace mynasim {
namespace {

journal_filter filter_of(const http_request& req) {
  journal_filter f;
  f.system = req.query_param("system").value_or("");
  f.path = req.query_param("path").value_or("");
  f.client_id = req.query_param("client_id").value_or("");
  f.telegram_id = req.query_param("telegram_id").value_or("");
  f.process_id = req.query_param("process_id").value_or("");
  f.direction = req.query_param("direction").value_or("");
  auto status = req.query_param("status").value_or("");
  if (!status.empty() && status.size() == 3 && std::all_of(status.begin(), status.end(), ::isdigit))
    f.status = std::stoi(status);
  else if (!status.empty())
    f.status = -1;
  auto limit = req.query_param("limit").value_or("");
  if (!limit.empty() && limit.size() < 7 && std::all_of(limit.begin(), limit.end(), ::isdigit))
    f.limit = std::stoul(limit);
  return f;
}

http_response add_faults(const qa_context& ctx, http_request& req) {
  std::string parse_error;
  auto body = parse_json(req.body, parse_error);
  if (!body) return json_error(400, "invalid_fault", parse_error);
  std::vector<nlohmann::json> specs;
  if (body->is_array())
    specs.assign(body->begin(), body->end());
  else
    specs.push_back(std::move(*body));
  // Validate everything first: an invalid list adds nothing.
  std::vector<fault> parsed;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    std::string error;
    auto f = parse_fault(specs[i], ctx.runtime->clock.now(), error);
    if (!f) return json_error(400, "invalid_fault", (specs.size() > 1 ? "[" + std::to_string(i) + "] " : "") + error);
    parsed.push_back(std::move(*f));
  }
  nlohmann::json ids = nlohmann::json::array();
  for (auto& f : parsed) {
    std::string error;
    auto id = ctx.faults->add(std::move(f), error);
    if (!id) {
      for (const auto& added : ids) ctx.faults->remove(added.get<std::string>());
      return json_error(400, "invalid_fault", error);
    }
    ids.push_back(*id);
  }
  return json_response(201, {{"ids", ids}});
}

// Only files inside qa.scenarios_dir: "year-end-juki.yaml", or "scenarios/year-end-juki.yaml"
// as seen from the directory above it; the first of the two that exists.
std::optional<std::string> scenario_path(const std::string& dir, const std::string& file) {
  namespace fs = std::filesystem;
  auto direct = path_inside(dir, file);
  std::error_code ec;
  if (fs::path(file).is_relative() && (!direct || !fs::exists(*direct, ec)))
    if (auto from_parent = path_inside(dir, (fs::path(dir).parent_path() / file).string())) return from_parent;
  return direct;
}

// The scenario files a tester can load by name (the control room's list): regular *.yaml
// files directly in the scenarios directory, at most 200.
nlohmann::json available_scenarios(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end && names.size() < 200; it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() == ".yaml" && it->is_regular_file(ec) && !it->is_symlink(ec))
      names.push_back(p.filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

http_response load_scenario(const qa_context& ctx, http_request& req) {
  try {
    scenario s;
    const auto* type = req.header("content-type");
    if (type && (type->find("yaml") != std::string::npos)) {
      if (req.body.size() > max_scenario_bytes)
        return json_error(413, "invalid_scenario", "a scenario is at most 1 MiB");
      s = load_scenario_text(req.body, "request body", ctx.runtime->world, *ctx.runtime->data.get());
    } else {
      std::string error;
      auto body = parse_json_object(req.body, error);
      if (!body || !body->contains("file") || !(*body)["file"].is_string())
        return json_error(400, "invalid_scenario",
                          "send {\"file\": \"scenarios/….yaml\"} or a YAML body (Content-Type: application/yaml)");
      const auto& dir = ctx.runtime->world.qa.scenarios_dir;
      auto path = scenario_path(dir, (*body)["file"].get<std::string>());
      if (!path)
        return json_error(403, "scenario_outside_directory",
                          "scenario files are read only from the scenarios directory (qa.scenarios_dir): " + dir);
      s = load_scenario_file(*path, ctx.runtime->world, *ctx.runtime->data.get(), max_scenario_bytes);
    }
    auto name = s.name;
    auto replaced = ctx.scenarios->start(std::move(s));
    ctx.scenarios->tick();
    auto status = ctx.scenarios->status();
    nlohmann::json event{{"scenario", name}};
    if (replaced) {
      // One scenario runs at a time: say which one this load stopped, with its faults.
      status["replaced"] = *replaced;
      event["replaced"] = *replaced;
    }
    if (ctx.log) ctx.log("scenario_loaded", event);
    return json_response(200, status);
  } catch (const config_error& e) {
    return json_error(400, "invalid_scenario", e.what());
  }
}

// GET /__admin/faults: the active faults.
http_response list_faults(const qa_context& ctx) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : ctx.faults->list()) list.push_back(fault_json(f));
  return json_response(200, {{"faults", list}});
}

http_response clear_faults(const qa_context& ctx) {
  ctx.faults->clear();
  return json_response(200, {{"status", "cleared"}});
}

http_response remove_fault(const qa_context& ctx, http_request& req) {
  if (!ctx.faults->remove(req.params["id"]))
    return json_error(404, "unknown_fault", "no fault '" + req.params["id"] + "'");
  return json_response(200, {{"status", "removed"}});
}

// GET /__admin/scenarios: the running scenario and the files that can be loaded.
http_response scenario_status(const qa_context& ctx) {
  auto status = ctx.scenarios->status();
  status["available"] = available_scenarios(ctx.runtime->world.qa.scenarios_dir);
  return json_response(200, status);
}

http_response stop_scenario(const qa_context& ctx) {
  ctx.scenarios->stop();
  return json_response(200, {{"status", "stopped"}});
}

// GET /__admin/requests: the journal's entries that match the filter.
http_response list_requests(const qa_context& ctx, http_request& req) {
  // bodies=0: the entries without request and response bodies (the control room's live tail).
  bool bodies = req.query_param("bodies").value_or("1") != "0";
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : ctx.journal->query(filter_of(req))) {
    auto j = journal_json(e);
    if (!bodies) {
      j.erase("request_body");
      j.erase("response_body");
    }
    list.push_back(std::move(j));
  }
  return json_response(200, {{"requests", list}, {"journal", ctx.journal->stats()}});
}

http_response count_requests(const qa_context& ctx, http_request& req) {
  return json_response(200, {{"count", ctx.journal->count(filter_of(req))}, {"journal", ctx.journal->stats()}});
}

http_response clear_requests(const qa_context& ctx) {
  ctx.journal->clear();
  return json_response(200, {{"status", "cleared"}});
}

// GET /__admin/lint?client_id=…: the conformance lint of one API user's journal.
http_response lint_client(const qa_context& ctx, http_request& req) {
  auto client = req.query_param("client_id").value_or("");
  if (client.empty()) return json_error(400, "invalid_request", "client_id is required");
  journal_filter f;
  f.client_id = client;
  f.limit = std::numeric_limits<std::size_t>::max();
  const auto& s = ctx.runtime->world.conformance;
  auto report = run_lint(client, ctx.journal->query(f), *ctx.runtime->data.get(),
                         {s.polling_storm, s.slow_notification, s.outage_retry_gap});
  return json_response(200, report.to_json());
}

http_response reset_world(const qa_context& ctx) {
  ctx.reset();
  return json_response(200, {{"status", "reset"}, {"virtual_time", format_instant(ctx.runtime->clock.now())}});
}

}  // namespace

void register_qa_routes(router& r, const qa_context& ctx) {
  auto c = std::make_shared<qa_context>(ctx);
  r.add_sync("GET", "/__admin/faults", [c](http_request&) { return list_faults(*c); });
  r.add_sync("POST", "/__admin/faults", [c](http_request& req) { return add_faults(*c, req); });
  r.add_sync("DELETE", "/__admin/faults", [c](http_request&) { return clear_faults(*c); });
  r.add_sync("DELETE", "/__admin/faults/{id}", [c](http_request& req) { return remove_fault(*c, req); });
  r.add_sync("GET", "/__admin/scenarios", [c](http_request&) { return scenario_status(*c); });
  r.add_sync("POST", "/__admin/scenarios", [c](http_request& req) { return load_scenario(*c, req); });
  r.add_sync("DELETE", "/__admin/scenarios", [c](http_request&) { return stop_scenario(*c); });
  r.add_sync("GET", "/__admin/requests", [c](http_request& req) { return list_requests(*c, req); });
  r.add_sync("GET", "/__admin/lint", [c](http_request& req) { return lint_client(*c, req); });
  r.add_sync("GET", "/__admin/requests/count", [c](http_request& req) { return count_requests(*c, req); });
  r.add_sync("DELETE", "/__admin/requests", [c](http_request&) { return clear_requests(*c); });
  r.add_sync("POST", "/__admin/reset", [c](http_request&) { return reset_world(*c); });
}

}  // namespace mynasim

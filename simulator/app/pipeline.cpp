// SPDX-License-Identifier: Apache-2.0
// The request pipeline: every request the server reads comes here. The admin guard first
// (app/admin_guard.hpp), then the world it is for (app/worlds.cpp: a /worlds/{id} prefix, a
// bound service, else the default world), then that world's facts (who it concerns), its
// scenarios and faults, the closed portal, and its router. After the answer: the log line,
// the metrics and the world's journal.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/admin_guard.hpp"
#include "app/app_impl.hpp"
#include "app/world_link.hpp"
#include "core/json_util.hpp"
#include "portal/kiosk_routes.hpp"
#include "portal/processor.hpp"
#include "portal/web_routes.hpp"
#include "systems/system_gate.hpp"
#include "ui/landing_page.hpp"

namespace mynasim {

namespace {

// The first value of `key` in a form body, or "".
std::string form_field(std::string_view body, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> form;
  if (!parse_form(body, form)) return "";
  for (auto& [k, v] : form)
    if (k == key) return std::move(v);
  return "";
}

constexpr std::size_t max_claim_bytes = 64;

bool is_token_exchange(const http_request& req) {
  return req.listener == "sp" && req.method == "POST" && (req.path == paths::token || req.path == paths::stub_token);
}

// A page or redirect of a named world keeps its user inside the world: its own links, forms
// and assets (absolute paths: href="/…", src="/…", action="/…"), its redirects to its own
// paths, and the way back to mynasim's sample callback page get the world's prefix. Only
// mynasim's own HTML is rewritten (an attribute value from a sheet is escaped: `"` never
// appears in it unescaped).
void keep_inside(const std::string& prefix, http_response& res) {
  for (auto& h : res.headers) {
    if (h.name != "location" || h.value.empty()) continue;
    if (h.value[0] == '/' && (h.value.size() < 2 || h.value[1] != '/')) {
      if (h.value.rfind(prefix + "/", 0) != 0) h.value = prefix + h.value;
    } else if (auto scheme = h.value.find("://"); scheme != std::string::npos) {
      auto path = h.value.find('/', scheme + 3);
      if (path != std::string::npos &&
          h.value.compare(path, std::string_view(sample_callback_path).size(), sample_callback_path) == 0)
        h.value.insert(path, prefix);
    }
  }
  const auto* type = res.header("content-type");
  if (!type || type->rfind("text/html", 0) != 0) return;
  std::string out;
  out.reserve(res.body.size() + 256);
  std::size_t from = 0;
  for (;;) {
    auto at = res.body.find("=\"/", from);
    if (at == std::string::npos) break;
    auto name_start = res.body.find_last_of(" \t\n<", at);
    auto name = name_start == std::string::npos
                    ? std::string_view()
                    : std::string_view(res.body).substr(name_start + 1, at - name_start - 1);
    bool link = name == "href" || name == "src" || name == "action";
    bool already = res.body.compare(at + 2, prefix.size() + 1, prefix + "/") == 0;
    bool protocol_relative = at + 3 < res.body.size() && res.body[at + 3] == '/';
    out.append(res.body, from, at + 2 - from);
    if (link && !already && !protocol_relative) out += prefix;
    from = at + 2;
  }
  out.append(res.body, from, std::string::npos);
  res.body = std::move(out);
}

}  // namespace

std::string claimed_client_of(const http_request& req) {
  auto claim = req.query_param("client_id").value_or("");
  if (claim.empty() && req.method == "POST" && !req.body.empty() && req.body.size() < 65536 && req.body[0] != '{')
    claim = form_field(req.body, "client_id");
  if (claim.empty() && req.json_body && req.json_body->is_object()) claim = string_member(*req.json_body, "client_id");
  if (claim.size() > max_claim_bytes) claim.resize(max_claim_bytes);
  return claim;
}

namespace {
// The admin paths a follower answers itself: its own health and metrics.
bool own_admin_path(std::string_view path) {
  return path == "/healthz" || path == "/readyz" || path == "/__admin/health" || path == "/metrics";
}

// A static file of the portal's screens fetched as it should be: no more the journal's business
// than the browser's cache is (every screen asks for portal.css again). One that fails is kept.
bool page_asset_served(const http_request& req, const http_response& res) {
  return req.listener == "app" && (req.method == "GET" || req.method == "HEAD") && res.status < 400 &&
         req.path.rfind(paths::page_assets, 0) == 0;
}

// A world's admin path with a bearer the size of a world token.
bool world_token_call(const http_request& req) {
  const auto* a = req.header("authorization");
  return req.path.rfind("/worlds/", 0) == 0 && a && a->size() == 7 + 64 && a->rfind("Bearer ", 0) == 0;
}
}  // namespace

void simulator_app::impl::dispatch(http_request& req, respond_fn respond) {
  if (req.listener == "admin") {
    std::string scope;
    admin_tokens tokens{home->rt.world.server.admin.bearer_token,
                        [this](std::string_view t) { return world_of_token(t); }};
    auto refused = admin_refusal(req, tokens, scope);
    // A follower's admin plane is the owner's — one clock, one set of faults, one journal, every
    // world — but its health and its metrics are its own. A world token only the owner, which
    // made it, can judge: it goes on with the caller's own credentials.
    if (link && !own_admin_path(req.path)) {
      if (!refused) return link->forward(req, std::move(respond));
      if (world_token_call(req)) return link->forward(req, std::move(respond), true);
    }
    if (refused) return respond(std::move(*refused));
  }
  std::string error;
  auto w = resolve(req, error);
  if (!w && link)  // a named world this follower has not served yet
    if (auto named = split_world_path(req.path); named && is_world_id(named->id)) {
      req.world = std::string(named->id);  // journaled in that world once answered
      req.path = std::move(named->rest);
      return follow_world(req.world, std::make_shared<http_request>(req), std::move(respond));
    }
  if (!w) return respond(json_error(404, "unknown_world", error));
  dispatch_in(w, req, std::move(respond));
}

void simulator_app::impl::dispatch_in(const std::shared_ptr<world_instance>& w, http_request& req, respond_fn respond) {
  auto it = w->routers.find(req.listener);
  if (it == w->routers.end()) return respond(json_error(404, "not_found", "no such listener"));
  // Every answer says the world's virtual now, so that an app under test can follow the clock.
  // The world lives until its requests are answered, even when it is removed meanwhile.
  // Admin JSON ends with a newline, as a shell user reading it with curl expects.
  respond = [w, admin = req.listener == "admin", respond = std::move(respond)](http_response res) {
    res.set("mynasim-virtual-time", format_instant(w->rt.clock.now()));
    if (admin && !res.body.empty() && res.body.back() != '\n')
      if (const auto* type = res.header("content-type"); type && type->starts_with("application/json"))
        res.body += '\n';
    if (!w->is_default()) keep_inside(w->prefix, res);
    respond(std::move(res));
  };
  if (!w->is_default()) w->touch();
  if (req.listener == "admin" || req.path == "/healthz" || req.path == "/readyz")
    return it->second.dispatch(req, std::move(respond));
  req.started = w->rt.clock.now();  // before faults and routing: a delay is part of the exchange
  req.start_seq = w->journal.begin();
  fill_facts(*w, req);
  w->scenarios.tick();
  fault_decision decision;
  std::string bound;  // a per-request fault for the hops this request causes
  if (const auto* spec = req.header("x-mynasim-fault"); spec && fault_header_allowed(*w, req.listener))
    if (auto refused = header_fault(*w, req, *spec, decision, bound)) return respond(std::move(*refused));
  if (!bound.empty())  // no process started, no hop: the fault goes with its request
    respond = [w, bound, respond = std::move(respond)](http_response res) {
      if (res.status != 200 || !error_code_of(res).empty()) w->faults.remove(bound);
      respond(std::move(res));
    };
  if (link) return ask_owner(w, req, std::move(decision), std::move(respond));  // a follower: the owner decides
  auto more = w->faults.decide(req);
  finish_dispatch(*w, std::shared_ptr<http_request>(&req, [](http_request*) {}), std::move(decision), std::move(more),
                  std::move(respond));
}

// Applies the faults decided (here, or by the world owner), then routes.
void simulator_app::impl::finish_dispatch(world_instance& w, std::shared_ptr<http_request> req, fault_decision decision,
                                          fault_decision more, respond_fn respond) {
  if (more.response && !decision.response) decision.response = std::move(more.response);
  decision.transport.delay += more.transport.delay;
  if (more.transport.what != transport_fault::action::none)
    decision.transport = {more.transport.what, decision.transport.delay, more.transport.pause, more.transport.chunk};
  decision.fired.insert(decision.fired.end(), more.fired.begin(), more.fired.end());
  std::string fired;
  for (const auto& id : decision.fired) fired += (fired.empty() ? "" : ",") + id;
  auto with_fault = [respond = std::move(respond), t = decision.transport, fired, req](http_response res) {
    res.fault = t;
    if (!fired.empty()) res.set("x-mynasim-faults", fired);
    respond(std::move(res));
  };
  const auto& path = req->path;
  bool telegram = req->listener == "sp" && (path == paths::request || path == paths::result ||
                                            path == paths::stub_request || path == paths::stub_result);
  auto shaped = [&](http_response res) { return telegram ? as_telegram(w, *req, res) : std::move(res); };
  if (decision.response) return with_fault(shaped(std::move(*decision.response)));
  if (req->system == "portal")
    if (const auto* portal = w.rt.world.find_system("portal"))
      if (auto closed = closed_response(w.rt, *portal)) return with_fault(shaped(std::move(*closed)));
  w.routers.at(req->listener).dispatch(*req, std::move(with_fault));
}

// An answer on a telegram endpoint that did not come from the endpoint itself — a fault's,
// or the closed portal's — as a telegram of that endpoint's response type: the errorCode
// and message a fault declared, else the catalogue's for the failure.
http_response simulator_app::impl::as_telegram(world_instance& w, const http_request& req, const http_response& res) {
  const auto data = w.rt.data.get();
  bool result = req.path == paths::result || req.path == paths::stub_result;
  std::string ignored;
  auto failure = parse_json_object(res.body, ignored).value_or(nlohmann::json::object());
  if (!failure.contains("name") || !failure["name"].is_string())
    failure["name"] = w.rt.world.find_system("portal") ? w.rt.world.find_system("portal")->name : "マイナポータル";
  auto key = w.processes->failure_key(failure);
  auto code = processor::declared_code(failure);
  if (code.empty()) code = data->errors.at(key).code;
  std::string mode;
  if (req.body.size() < 262144)
    if (auto j = parse_json_object(req.body, ignored); j && j->contains("commonHeader"))
      mode = string_member((*j)["commonHeader"], "mode");
  nlohmann::json header{
      {"telegramId", req.telegram_id},
      {"telegramType", result ? data->portal.result_response_type : data->portal.request_response_type},
      {"mode", mode},
      {"processId", req.process_id},
      {"errorCode", code}};
  auto out = json_response(res.status,
                           {{"commonHeader", header}, {"errorMessage", w.processes->outage_message(key, failure)}});
  if (const auto* retry = res.header("retry-after")) out.set("retry-after", *retry);
  out.close = res.close;
  return out;
}

// Who a request concerns, for fault narrowing and the journal: only an identity the request
// proved (docs/api.md, "Who a request is filed under"). A client_id it merely names is a claim:
// the journal keeps it as claimed_client_id, nothing narrows or attributes by it.
// A hop between simulated systems names who it is for in X-Mynasim-* headers; they count only
// under a seal this simulator made (core/hop_seal.hpp): a direct request to /systems/... is
// filed under nobody, spends no service's faults and feeds no service's lint.
void simulator_app::impl::fill_hop_facts(world_instance& w, http_request& req) const {
  auto value = [&](const char* name) {
    const auto* v = req.header(name);
    return v ? std::string_view(*v) : std::string_view();
  };
  const hop_attribution claimed{value("x-mynasim-client-id"), value("x-mynasim-persona"), value("x-mynasim-process-id"),
                                value("x-mynasim-telegram-id")};
  const auto* seal = req.header(hop_seal_header);
  if (!seal || !w.rt.hops.verify(claimed, *seal)) return;
  req.client_id = claimed.client_id;
  req.persona = claimed.persona;
  req.process_id = claimed.process_id;
  req.telegram_id = claimed.telegram_id;
}

void simulator_app::impl::fill_facts(world_instance& w, http_request& req) {
  req.system = request_log::system_of(req);
  if (req.listener == "systems") return fill_hop_facts(w, req);
  if (req.listener != "app" && req.listener != "sp") return;
  if (!req.body.empty() && req.body[0] == '{' && req.body.size() < 262144) {
    std::string ignored;
    if (const auto* j = request_json_object(req, ignored); j && j->contains("commonHeader")) {
      req.telegram_id = string_member((*j)["commonHeader"], "telegramId");
      req.process_id = string_member((*j)["commonHeader"], "processId");
    }
  }
  if (const auto* a = req.header("authorization"); a && a->rfind("Bearer ", 0) == 0)
    if (auto t = w.auth.check_token(a->substr(7))) {
      req.client_id = t->client_id;
      req.persona = t->persona_id;
      return;
    }
  if (req.listener == "sp")
    authenticate_client(w, req);
  else
    attribute_screen(w, req);
}

// The sp listener without a token: the client a request names is authenticated by a client
// certificate registered for it (under mutual TLS), or — at the token endpoint — by the
// authorization code it presents, when an earlier exchange of that client presented it (a code
// is issued to one client and redirect_uri: only that client, or whom it leaked it to, has it).
void simulator_app::impl::authenticate_client(world_instance& w, http_request& req) {
  auto claim = claimed_client_of(req);
  if (claim.empty()) return;
  if (w.rt.world.server.sp.tls.require_client_cert && !req.client_cert_sha256.empty() &&
      w.rt.data.get()->find_service(claim) &&
      w.auth.client_allowed(claim, {req.client_cert_sha256, req.client_cert_subject, req.remote_address}, true)) {
    req.client_id = claim;
    return;
  }
  if (!is_token_exchange(req)) return;
  auto code = form_field(req.body, "code");
  if (!code.empty() && w.exchanged_codes.get(code, w.rt.clock.now()) == claim) req.client_id = claim;
}

// The browser screens carry no credential. authorize is public (anyone may start a service's
// flow, as on the real portal): it is filed under the service when the portal accepts it for
// that service — a registered client_id with one of its registered redirect_uris, the only
// place the flow can return to. The screens after it are filed under their session's service.
void simulator_app::impl::attribute_screen(world_instance& w, http_request& req) {
  if (req.method == "GET" && req.path == paths::authorize) {
    auto claim = req.query_param("client_id").value_or("");
    auto redirect = req.query_param("redirect_uri").value_or("");
    const auto data = w.rt.data.get();
    const auto* service = data->find_service(claim);
    if (!service || std::find(service->redirect_uris.begin(), service->redirect_uris.end(), redirect) ==
                        service->redirect_uris.end())
      return;
    req.client_id = claim;
    req.persona = req.query_param("mynasim_persona").value_or("");
    return;
  }
  if (req.method != "POST" || req.body.empty() || req.body.size() >= 65536 || req.body[0] == '{') return;
  auto session = form_field(req.body, "session");
  if (auto s = session.empty() ? std::nullopt : w.auth.session(session)) {
    req.client_id = s->client_id;
    req.persona = s->persona_id;
  }
}

// The journal's client_id: the identity fill_facts found, or the client a token endpoint issued
// an access token to (IF001-03: the single-use code issued to that client and redirect_uri is
// the proof, and the code is remembered as the client's; the kiosk: its signed challenge).
// Anything else a request named is only claimed_client_id.
void simulator_app::impl::file_under_identity(world_instance& w, const http_request& req, const http_response& res,
                                              journal_entry& e) {
  e.client_id = req.client_id;
  if (req.listener != "app" && req.listener != "sp") return;
  bool exchange = is_token_exchange(req);
  bool issued = res.status == 200 && (exchange || (req.listener == "sp" && req.path == paths::kiosk_token));
  if (!e.client_id.empty() && !issued) return;
  auto claim = claimed_client_of(req);
  if (issued && exchange && !claim.empty())
    if (auto code = form_field(req.body, "code"); !code.empty() && code.size() <= max_claim_bytes)
      w.exchanged_codes.put(code, claim, w.rt.clock.now(), claim);
  if (e.client_id.empty()) (issued ? e.client_id : e.claimed_client_id) = std::move(claim);
}

void simulator_app::impl::count(const http_request& req, const http_response& res, const std::string& error_code,
                                std::chrono::microseconds latency) {
  auto route = req.route;
  if (route.empty())  // answered before routing (a fault, the closed portal)
    if (auto it = home->routers.find(req.listener); it != home->routers.end())
      route = it->second.route_of(req.method, req.path);
  meters.request(req.system.empty() ? request_log::system_of(req) : req.system, route.empty() ? "unmatched" : route,
                 res.status, error_code, static_cast<double>(latency.count()) / 1e6, req.world);
}

void simulator_app::impl::complete(const http_request& req, const http_response& res,
                                   std::chrono::microseconds latency) {
  auto w = req.world.empty() ? home : find_world(req.world);
  auto error_code = error_code_of(res);  // once: for the log line and the metrics
  // Lines nobody reads in bulk are left out while they succeed: health probes (a container
  // engine's, every few seconds per container) and a split world's own calls (each follower
  // syncs with the owner twice a second). A failing one is logged like any request.
  bool quiet = res.status < 400 && (req.path == "/healthz" || req.path == "/readyz" ||
                                    (req.listener == "admin" && req.path.rfind("/__admin/world/", 0) == 0));
  if (!quiet) log.request(req, res, latency, (w ? w : home)->rt.clock.now(), error_code);
  if (home->rt.world.logging.metrics) count(req, res, error_code, latency);
  if (!w || req.listener == "admin" || req.path == "/healthz" || req.path == "/readyz" || page_asset_served(req, res))
    return;
  journal_entry e;
  e.at = w->rt.clock.now();
  e.started = req.start_seq ? req.started : e.at;  // answered before it reached its world: no start of its own
  e.start_seq = req.start_seq;
  e.system = req.system.empty() ? request_log::system_of(req) : req.system;
  e.listener = req.listener;
  e.method = req.method;
  e.path = req.path;
  if (req.listener == "app" && req.path == paths::authorize) e.url = req.target;  // the lint reads its query
  e.status = res.status;
  e.latency_ms = static_cast<double>(latency.count()) / 1000.0;
  file_under_identity(*w, req, res, e);
  e.persona = req.persona;
  e.telegram_id = req.telegram_id;
  e.process_id = req.process_id;  // IF001-04's: the process it created (set by its handler)
  e.request_id = req.request_id;
  e.error_code = error_code;
  e.request_body = req.body;
  e.response_body = res.body;
  if (const auto* f = res.header("x-mynasim-faults")) e.faults.push_back(*f);
  e.node = node;
  if (link)
    link->record(std::move(e), w->settings.id);  // the owner keeps every world's journal
  else
    w->journal.record(std::move(e));
}

// X-Mynasim-Fault shapes this one request, or — for a system further down — the hops this
// IF001-04 request causes (bound to its authenticated service and telegramId, once; `bound`
// names it, for dispatch to drop it when the request is refused). It never outlives the
// request, and is honoured only where the world allows it (by default: loopback).
std::optional<http_response> simulator_app::impl::header_fault(world_instance& w, http_request& req,
                                                               const std::string& spec, fault_decision& decision,
                                                               std::string& bound) {
  std::string error;
  auto j = parse_json(spec, error, {4096, 8}).value_or(nlohmann::json());
  if (j.is_object() && !j.contains("target")) j["target"] = req.system;
  auto f = error.empty() ? parse_fault(j, w.rt.clock.now(), error) : std::nullopt;
  if (f && (f->kind == fault_kind::down || is_notification_fault(f->kind))) {
    // Faults that outlive one request (down) or act on notifications belong in /__admin/faults.
    error = std::string(to_string(f->kind)) + " is not available per request; use /__admin/faults";
    f.reset();
  }
  if (f && (!f->client_id.empty() || !f->persona.empty() || !f->telegram_id.empty())) {
    error = "a per-request fault is always narrowed to its own request: leave out client_id, persona and telegram_id";
    f.reset();
  }
  if (f && f->target != req.system && !(req.system == "portal" && (f->target == "app" || f->target == "sp"))) {
    if (req.telegram_id.empty()) {
      error = "a fault for '" + f->target +
              "' needs an IF001-04 request: its service and telegramId bind the fault to the hops it causes";
      f.reset();
    } else if (req.client_id.empty()) {
      // No valid access token: no service to bind it to, and no process, no hops — the portal
      // refuses the request itself (MPE3001). Bound to nothing.
      return std::nullopt;
    } else {
      f->remaining = 1;
      f->client_id = req.client_id;
      f->telegram_id = req.telegram_id;
      f->id.clear();
      if (auto id = w.faults.add_for_request(*f, error))
        bound = *id;
      else
        f.reset();
    }
  } else if (f) {
    f->id = "header";
    f->remaining.reset();
    fault_registry once(w.rt);
    if (once.add(*f, error))
      decision = once.decide(req);
    else
      f.reset();
  }
  if (!f) return json_error(400, "invalid_fault_header", "X-Mynasim-Fault: " + error);
  return std::nullopt;
}

bool simulator_app::impl::fault_header_allowed(const world_instance& w, const std::string& listener) const {
  if (w.rt.world.qa.allow_fault_header) return *w.rt.world.qa.allow_fault_header;
  const auto& s = w.rt.world.server;
  const auto& l = listener == "app" ? s.app : listener == "sp" ? s.sp : s.systems;
  return is_loopback(l.address);
}

}  // namespace mynasim

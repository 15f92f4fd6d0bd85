// SPDX-License-Identifier: Apache-2.0
#include "conformance/runner.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <random>
#include <string_view>

#include "core/http.hpp"
#include "core/json_util.hpp"
#include "portal/pages.hpp"

namespace mynasim {

using steady = std::chrono::steady_clock;

struct conformance_runner::run {
  struct test {
    planned_test planned;
    arrangement arranged;
    std::string state = "queued";  // queued | waiting | settling | done
    judgement result;
    std::uint64_t start_seq = 0;
    steady::time_point started{}, ended{};
    std::optional<steady::time_point> complete_since;
    std::vector<journal_entry> entries;  // the service's, since the test began
    std::vector<long> seen_ms;
    std::vector<std::string> fault_ids;
    std::string forged_code, forged_answer;
    bool forged_failed = false;
    // juki-year-end: the clock as the test found it, and as the test left it after moving it.
    std::optional<clock_state> saved_clock, moved_clock;
    steady::time_point clock_saved_at{}, clock_moved_at{};
  };
  std::string id, client_id, plan;
  std::string state = "running";  // running | finished | cancelled
  std::string created_at;
  bool complete_screens = false;
  nlohmann::json persona;  // a persona whose card works, for the person or the e2e script
  std::size_t index = 0;
  std::vector<test> tests;
  // Between two tests: the next one begins once the service's traffic has been quiet for half
  // of `settle` (a retry or poll the app still runs from the last test must not be judged in
  // the next one), or after `test_timeout` at most.
  bool quieting = false;
  steady::time_point quiet_from{}, last_activity{};
  std::uint64_t quiet_seq = 0;
  // Since when the current test has waited for the shared clock, which another run's test holds.
  std::optional<steady::time_point> clock_wait_since;
};

namespace {

long ms_between(steady::time_point a, steady::time_point b) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
}

std::string random_state() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string s = "forged-";
  for (int i = 0; i < 16; ++i) s += hex[rng() % 16];
  return s;
}

std::string query_value(const std::string& url, const std::string& key) {
  auto q = url.find('?');
  if (q == std::string::npos) return "";
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!parse_form(url.substr(q + 1), pairs)) return "";
  for (auto& [k, v] : pairs)
    if (k == key) return v;
  return "";
}

nlohmann::json evidence_json(const journal_entry& e) {
  auto j = journal_json(e);
  j.erase("request_body");
  j.erase("response_body");
  return j;
}

std::string evidence_line(const nlohmann::json& e) {
  std::string line = "#" + std::to_string(e.value("seq", 0)) + " " + e.value("at", "") + " " +
                     (e.value("direction", "in") == "out" ? "IF001-05 → " + e.value("url", "")
                                                          : e.value("method", "") + " " + e.value("path", "")) +
                     " → " + std::to_string(e.value("status", 0));
  if (auto c = e.value("error_code", ""); !c.empty()) line += " " + c;
  if (e.contains("faults")) line += " (fault " + e["faults"].dump() + ")";
  return line;
}

nlohmann::json test_json(const conformance_runner::run::test& t, steady::time_point now) {
  const auto& def = *t.planned.test;
  nlohmann::json evidence = nlohmann::json::array();
  for (const auto& e : t.result.evidence) evidence.push_back(evidence_json(e));
  long duration = t.state == "queued" ? 0 : ms_between(t.started, t.state == "done" ? t.ended : now);
  nlohmann::json j{{"name", t.planned.name()},
                   {"test", def.id},
                   {"title_ja", def.title_ja},
                   {"title_en", def.title_en},
                   {"arranges", def.arranges},
                   {"arranges_ja", def.arranges_ja},
                   {"arranges_en", def.arranges},
                   {"expects", def.expects},
                   {"expects_ja", def.expects_ja},
                   {"expects_en", def.expects},
                   {"instruction_ja", def.instruction_ja},
                   {"action", def.action},
                   {"remedy", def.remedy_en},
                   {"remedy_ja", def.remedy_ja},
                   {"remedy_en", def.remedy_en},
                   {"state", t.state},
                   {"verdict", to_string(t.result.verdict)},
                   {"detail", t.result.detail},
                   {"detail_ja", t.result.detail_ja},
                   {"detail_en", t.result.detail},
                   {"duration_ms", duration},
                   {"evidence", std::move(evidence)},
                   {"evidence_omitted", t.result.evidence_omitted}};
  if (!t.planned.query_method.empty()) j["query_method"] = t.planned.query_method;
  if (!t.arranged.failing_holder.empty()) j["failing_holder"] = t.arranged.failing_holder;
  if (!t.fault_ids.empty()) j["faults"] = t.fault_ids;
  return j;
}

nlohmann::json run_json(const conformance_runner::run& r) {
  auto now = steady::now();
  nlohmann::json tests = nlohmann::json::array();
  std::map<std::string, int> summary{{"pass", 0}, {"warning", 0}, {"fail", 0}, {"not_applicable", 0}, {"pending", 0}};
  for (const auto& t : r.tests) {
    tests.push_back(test_json(t, now));
    ++summary[to_string(t.result.verdict)];
  }
  nlohmann::json current;
  if (r.state == "running" && r.index < r.tests.size() && !r.quieting) {
    current = tests[r.index];
    current["index"] = r.index;
  }
  return {{"id", r.id},
          {"client_id", r.client_id},
          {"plan", r.plan},
          {"state", r.state},
          {"created_at", r.created_at},
          {"persona", r.persona},
          {"complete_screens", r.complete_screens},
          {"current", current},
          {"summary", summary},
          {"tests", std::move(tests)}};
}

// The code point of the well-formed UTF-8 sequence at s[i] (i moves past it), or -1 for a byte
// that starts none (i moves past that one byte): overlong forms, surrogates and values past
// U+10FFFF are not well-formed.
long next_code_point(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return byte(i++);
  const std::size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (len == 0 || lead > 0xF4 || s.size() - i < len) {
    ++i;
    return -1;
  }
  long c = lead & (0x3F >> (len - 1));
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr std::array<long, 5> least{0, 0, 0x80, 0x800, 0x10000};
  if (c < least.at(len) || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += len;
  return c;
}

// XML 1.0's Char production.
bool xml_char(long c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

// Text that XML 1.0 can carry: C0 controls other than tab and LF become a space, and every other
// character XML forbids (U+FFFE, U+FFFF, surrogates, bytes that are not well-formed UTF-8)
// becomes U+FFFD.
std::string xml_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto from = i;
    const long c = next_code_point(s, i);
    if (c >= 0 && c < 0x20 && c != '\t' && c != '\n')
      out += ' ';
    else if (xml_char(c))
      out.append(s.substr(from, i - from));
    else
      out += "\xEF\xBF\xBD";
  }
  return out;
}

// XML text and attribute values: allowed characters only, with the HTML escapes (&#39; is
// valid XML too).
std::string xml_escape(const std::string& s) {
  return html_escape(xml_safe(s));
}

// Any text of a run (the journal's and the API user's app's included) inline in Markdown: HTML's
// special characters as entities, Markdown's inline punctuation backslash-escaped, line breaks
// as spaces. No raw HTML, link, image, emphasis, code span or table cell boundary comes from
// the text.
std::string markdown_text(const std::string& s) {
  static constexpr std::string_view punctuation = "\\`*_[]|~#!";
  std::string out;
  for (char c : xml_safe(s)) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '\n' || c == '\t')
      out += ' ';
    else if (punctuation.find(c) != std::string_view::npos)
      out.append(1, '\\').append(1, c);
    else
      out += c;
  }
  return out;
}

// A name or an id as a code span; text that a code span cannot carry as it is (a backtick, a
// pipe that would end the table cell, a line break, HTML's special characters) as markdown_text.
std::string markdown_code(const std::string& s) {
  if (s.empty() || s.find_first_of("`|<>&\r\n") != std::string::npos) return markdown_text(s);
  return "`" + xml_safe(s) + "`";
}

// A verdict as Markdown: one of the known words (an underscore within a word is no emphasis),
// never text from outside.
std::string markdown_verdict(const std::string& v) {
  for (const char* known : {"pass", "warning", "fail", "not_applicable", "pending"})
    if (v == known) return v;
  return "unknown";
}

// The year-end stop of the 住基ネット system: 13 hours into its first planned outage of at
// least three days within the next 400 days (12-29 10:00 in the default world).
std::optional<instant> year_end_instant(const world_runtime& rt) {
  auto now = rt.clock.now();
  for (const auto& s : rt.world.systems) {
    if (s.kind != system_kind::juki) continue;
    for (const auto& seg : rt.availability.timeline(s.id, now, now + std::chrono::days(400)))
      if (!seg.status.up && seg.status.reason == availability_reason::planned_outage &&
          seg.until - seg.from >= std::chrono::hours(72))
        return std::max(seg.from, now) + std::chrono::hours(13);
  }
  return std::nullopt;
}

nlohmann::json persona_hint(const world_data& data, const service_config& service, const card_registry& cards) {
  for (const auto& p : data.personas) {
    auto card = cards.status(p.card.serial);
    if (!card || card->certificate != certificate_state::valid || card->tries_left <= 0 || p.data.empty()) continue;
    bool has_item = std::any_of(p.data.begin(), p.data.end(), [&](const persona_data& d) {
      return std::find(service.items.begin(), service.items.end(), d.item) != service.items.end();
    });
    if (has_item) return {{"id", p.id}, {"name", p.name}, {"card_serial", p.card.serial}, {"pin", p.card.pin}};
  }
  return nullptr;
}

std::string redirect_uri_of(const service_config& s) {
  for (const auto& u : s.redirect_uris)
    if (u.find("/sample-app/callback") == std::string::npos) return u;
  return s.redirect_uris.empty() ? "" : s.redirect_uris.front();
}

// Whether the clock is still where a test left it `elapsed` ago: the same speed and freezing,
// and the instant it would have reached since (within a second, plus what 50 ms of skew
// between two readings of the real clock make at its speed).
bool clock_untouched_since(const clock_state& now, const clock_state& left, steady::duration elapsed) {
  if (now.frozen != left.frozen || now.speed != left.speed) return false;
  const double ran = left.frozen ? 0.0 : std::chrono::duration<double, std::milli>(elapsed).count() * left.speed;
  const double expected = static_cast<double>(left.now.time_since_epoch().count()) + ran;
  const double tolerance = 1000.0 + 50.0 * std::abs(left.speed);
  return std::abs(static_cast<double>(now.now.time_since_epoch().count()) - expected) <= tolerance;
}

// The id of the world's 情報提供ネットワークシステム, "" when it has none.
std::string network_system_of(const world_config& world) {
  for (const auto& s : world.systems)
    if (s.kind == system_kind::network) return s.id;
  return "";
}

using run_list = std::vector<std::shared_ptr<conformance_runner::run>>;

// Whether a run may start for `client_id`: none is running for it, and fewer than max_active in
// all. Else `status` 409 or 429 and `error`.
bool may_start(const run_list& runs, const std::string& client_id, int& status, std::string& error) {
  std::size_t active = 0;
  for (const auto& r : runs) {
    if (r->state != "running") continue;
    ++active;
    if (r->client_id == client_id) {
      status = 409;
      error = "run " + r->id + " is already running for " + client_id + " (DELETE it first)";
      return false;
    }
  }
  if (active >= conformance_runner::max_active) {
    status = 429;
    error = "at most " + std::to_string(conformance_runner::max_active) + " runs at once";
    return false;
  }
  return true;
}

// Makes room for one more run within max_kept: the oldest finished runs go.
void make_room(run_list& runs) {
  while (runs.size() >= conformance_runner::max_kept) {
    auto it = std::find_if(runs.begin(), runs.end(), [](const auto& x) { return x->state != "running"; });
    if (it == runs.end()) break;
    runs.erase(it);
  }
}

}  // namespace

conformance_runner::conformance_runner(conformance_deps deps) : deps_(std::move(deps)) {}
conformance_runner::~conformance_runner() = default;

std::optional<nlohmann::json> conformance_runner::start(const std::string& client_id, const std::string& plan_spec,
                                                        const options& o, int& status, std::string& error) {
  const auto data = deps_.rt->data.get();
  const auto* service = data->find_service(client_id);
  if (!service) {
    status = 404;
    error = "client_id " + client_id + " is not a registered service";
    return std::nullopt;
  }
  auto plan = expand_plan(plan_spec, *service, error);
  if (!plan) {
    status = 400;
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  if (!may_start(runs_, client_id, status, error)) return std::nullopt;
  auto r = std::make_shared<run>();
  r->id = "run-" + std::to_string(next_id_++);
  r->client_id = client_id;
  r->plan = plan_spec.empty() ? "all" : plan_spec;
  r->created_at = format_instant(deps_.rt->clock.now());
  r->persona = persona_hint(*data, *service, *deps_.cards);
  r->complete_screens = o.complete_screens;
  if (o.complete_screens && !r->persona.is_object()) {
    status = 409;
    error = "complete_screens needs a persona whose card works and who holds one of " + client_id +
            "'s items; none does now";
    return std::nullopt;
  }
  auto network = network_system_of(deps_.rt->world);
  const auto* who = r->persona.is_object() ? data->find_persona(r->persona.value("id", "")) : nullptr;
  for (auto& p : *plan) {
    run::test t;
    t.planned = p;
    t.arranged = arrange(p, *service, *data, network, who);
    r->tests.push_back(std::move(t));
  }
  make_room(runs_);
  runs_.push_back(r);
  begin_test(*r);
  return run_json(*r);
}

void conformance_runner::begin_test(run& r) {
  if (waits_for_clock(r)) return;
  auto& t = r.tests[r.index];
  t.result.detail.clear();
  t.result.detail_ja.clear();
  t.state = "waiting";
  t.started = steady::now();
  t.start_seq = deps_.journal->last_seq();
  if (!t.arranged.not_applicable.empty()) {
    judgement j;
    j.verdict = test_verdict::not_applicable;
    j.detail = t.arranged.not_applicable;
    j.detail_ja = t.arranged.not_applicable_ja;
    return finish_test(r, j);
  }
  if (auto why = set_up(r)) {
    judgement j;
    j.verdict = test_verdict::fail;
    j.detail = "could not arrange the test: " + why->en;
    j.detail_ja = "テストを準備できませんでした: " + why->ja;
    return finish_test(r, j);
  }
  if (deps_.log)
    deps_.log("conformance_test", {{"run", r.id},
                                   {"client_id", r.client_id},
                                   {"test", t.planned.name()},
                                   {"state", "waiting"},
                                   {"instruction", t.planned.test->instruction_ja}});
}

// What the current test arranges, in order: its faults, the portal's outcome, the clock, a
// forged callback. Why it could not (what was done is put back when the test finishes).
std::optional<bilingual> conformance_runner::set_up(run& r) {
  auto& t = r.tests[r.index];
  const auto& a = t.arranged;
  for (const auto& spec : a.faults) {
    std::string error;
    auto f = parse_fault(spec, deps_.rt->clock.now(), error);
    std::optional<std::string> id;
    if (f) id = deps_.faults->add(std::move(*f), error);
    if (!id) return bilingual{"障害を設定できません（" + error + "）", error};
    t.fault_ids.push_back(*id);
  }
  if (!a.portal_outcome.empty() && !deps_.auth->arrange_outcome(r.client_id, a.portal_outcome))
    return bilingual{"ポータルの結果を設定したサービスが多すぎます", "too many services with an arranged outcome"};
  if (r.complete_screens && std::string_view(t.planned.test->action) != "none" &&
      !deps_.auth->arrange_screens(r.client_id, r.persona.value("id", ""),
                                   std::string_view(t.planned.test->action) == "refuse" ? "refuse" : "consent"))
    return bilingual{"ポータルが画面を完了させるサービスが多すぎます",
                     "too many services with screens completed by the portal"};
  if (a.year_end) return move_clock(r);
  if (a.forge_callback) return forge_callback(r);
  return std::nullopt;
}

// Whether the current test must wait for the shared clock, which another run's test has moved:
// one clock-moving test at a time, so that each puts back only what it moved itself. It waits
// as if between tests (no current test, so no instruction yet) for up to test_timeout; then it
// begins, and set_up refuses it.
bool conformance_runner::waits_for_clock(run& r) {
  auto& t = r.tests[r.index];
  const auto now = steady::now();
  if (!t.arranged.year_end || !t.arranged.not_applicable.empty() || clock_holder_.empty() || clock_holder_ == r.id ||
      (r.clock_wait_since && now - *r.clock_wait_since >= deps_.rt->world.conformance.test_timeout)) {
    r.clock_wait_since.reset();
    return false;
  }
  if (!r.clock_wait_since) {
    r.clock_wait_since = now;
    if (deps_.log)
      deps_.log("conformance_test", {{"run", r.id},
                                     {"client_id", r.client_id},
                                     {"test", t.planned.name()},
                                     {"state", "waiting_for_clock"},
                                     {"holder", clock_holder_}});
  }
  t.result.detail = "waiting for the shared virtual clock: " + clock_holder_ + "'s juki-year-end test has moved it";
  t.result.detail_ja = "共有の仮想時計を待っています: " + clock_holder_ + " の juki-year-end テストが動かしています";
  r.quieting = true;
  r.quiet_from = r.last_activity = now;
  r.quiet_seq = deps_.journal->last_seq();
  return true;
}

// juki-year-end: the clock into 住基ネット's year-end stop, held by this run until put back.
std::optional<bilingual> conformance_runner::move_clock(run& r) {
  auto& t = r.tests[r.index];
  if (!clock_holder_.empty() && clock_holder_ != r.id)
    return bilingual{
        "共有の仮想時計は " + clock_holder_ +
            " の juki-year-end "
            "テストが使っています（時計を動かすテストは一度に一つ。終わってから改めて開始してください）",
        "the shared virtual clock is held by " + clock_holder_ +
            "'s juki-year-end test (one clock-moving test at a time; start this one again when it is over)"};
  auto at = year_end_instant(*deps_.rt);
  if (!at)
    return bilingual{"400 日以内に 3 日以上の住基ネットの停止がありません",
                     "the world has no 住基ネット stop of three days or more within 400 days"};
  auto& c = deps_.rt->clock;
  t.saved_clock = c.state();
  t.clock_saved_at = steady::now();
  c.set_now(*at);
  t.moved_clock = c.state();
  t.clock_moved_at = steady::now();
  clock_holder_ = r.id;
  return std::nullopt;
}

// state-forged: authorizes the service for the run's persona and sends the code to the app's
// redirect URI with a state of mynasim's own. The app's answer comes later, to the inbox.
std::optional<bilingual> conformance_runner::forge_callback(run& r) {
  auto& t = r.tests[r.index];
  const auto data = deps_.rt->data.get();
  const auto* service = data->find_service(r.client_id);
  auto persona = r.persona.is_object() ? r.persona.value("id", "") : "";
  if (!service || persona.empty())
    return bilingual{"カードが使え、サービスの項目を持つペルソナがいません",
                     "no persona with a working card holds the service's items"};
  authorize_params p;
  p.response_type = "code";
  p.client_id = r.client_id;
  p.redirect_uri = redirect_uri_of(*service);
  p.state = random_state();
  p.test_persona = persona;
  p.test_outcome = "consent";
  auto flow = deps_.auth->begin(p);
  if (flow.next != flow_step::redirect || query_value(flow.location, "code").empty())
    return bilingual{"ポータルが認可コードを発行しませんでした（" + flow.error_key + "）",
                     "the portal issued no code (" + flow.error_key + ")"};
  t.forged_code = query_value(flow.location, "code");
  if (!deps_.get) return bilingual{"HTTP クライアントがありません", "no HTTP client"};
  // The answer arrives on another thread, maybe at once: it goes to its own inbox.
  auto key = r.id + "#" + std::to_string(r.index);
  deps_.get(flow.location, [inbox = inbox_, key](const std::string& answer, bool failed) {
    std::lock_guard lock(inbox->mutex);
    if (inbox->answers.size() < 4 * max_kept) inbox->answers[key] = {answer.empty() ? "no answer" : answer, failed};
  });
  return std::nullopt;
}

void conformance_runner::put_back(run& r) {
  auto& t = r.tests[r.index];
  for (const auto& id : t.fault_ids) deps_.faults->remove(id);  // a used-up one is gone already
  if (!t.arranged.portal_outcome.empty()) deps_.auth->arrange_outcome(r.client_id, "");
  if (r.complete_screens) deps_.auth->arrange_screens(r.client_id, "", "");
  if (t.saved_clock) restore_clock(r);
}

// Back to where the clock would be had the test not moved it — unless it is no longer where the
// test left it (QA moved, froze or sped it meanwhile): that change wins and stays. Either way
// the clock is free for another run's test.
void conformance_runner::restore_clock(run& r) {
  auto& t = r.tests[r.index];
  auto& c = deps_.rt->clock;
  const auto now = steady::now();
  if (clock_untouched_since(c.state(), *t.moved_clock, now - t.clock_moved_at)) {
    auto passed = t.saved_clock->frozen
                      ? millis{0}
                      : std::chrono::duration_cast<millis>((now - t.clock_saved_at) * t.saved_clock->speed);
    c.set_now(t.saved_clock->now + passed);
  } else if (deps_.log) {
    deps_.log("conformance_test",
              {{"run", r.id}, {"client_id", r.client_id}, {"test", t.planned.name()}, {"clock", "kept"}});
  }
  t.saved_clock.reset();
  t.moved_clock.reset();
  if (clock_holder_ == r.id) clock_holder_.clear();
}

void conformance_runner::finish_test(run& r, judgement j) {
  auto& t = r.tests[r.index];
  put_back(r);
  if (j.verdict == test_verdict::pending) j.verdict = test_verdict::fail;
  t.result = std::move(j);
  t.state = "done";
  t.ended = steady::now();
  if (deps_.log)
    deps_.log("conformance_test", {{"run", r.id},
                                   {"client_id", r.client_id},
                                   {"test", t.planned.name()},
                                   {"state", "done"},
                                   {"verdict", to_string(t.result.verdict)},
                                   {"detail", t.result.detail}});
  if (++r.index >= r.tests.size()) {
    r.state = "finished";
    return;
  }
  r.quieting = true;
  r.quiet_from = r.last_activity = steady::now();
  r.quiet_seq = deps_.journal->last_seq();
}

void conformance_runner::wait_for_quiet(run& r) {
  auto now = steady::now();
  auto traffic = deps_.journal->since(r.client_id, r.quiet_seq, 64);
  if (!traffic.empty()) {
    r.quiet_seq = traffic.back().seq;
    r.last_activity = now;
  }
  const auto& c = deps_.rt->world.conformance;
  if (now - r.last_activity < c.settle / 2 && now - r.quiet_from < c.test_timeout) return;
  r.quieting = false;
  begin_test(r);
}

void conformance_runner::observe(run& r) {
  auto& t = r.tests[r.index];
  auto now = steady::now();
  auto after = t.entries.empty() ? t.start_seq : t.entries.back().seq;
  if (t.entries.size() < max_entries_per_test)
    for (auto& e : deps_.journal->since(r.client_id, after, max_entries_per_test - t.entries.size())) {
      t.entries.push_back(std::move(e));
      t.seen_ms.push_back(ms_between(t.started, now));
    }
  const auto data = deps_.rt->data.get();
  judge_input in;
  in.test = &t.planned;
  in.arranged = &t.arranged;
  in.data = data.get();
  in.settings = &deps_.rt->world.conformance;
  in.entries = t.entries;
  in.seen_ms = t.seen_ms;
  if (!t.forged_code.empty() && t.forged_answer.empty()) {
    std::lock_guard inbox_lock(inbox_->mutex);
    if (auto it = inbox_->answers.find(r.id + "#" + std::to_string(r.index)); it != inbox_->answers.end()) {
      t.forged_answer = it->second.first;
      t.forged_failed = it->second.second;
      inbox_->answers.erase(it);
    }
  }
  in.forged_code = t.forged_code;
  in.forged_answer = t.forged_answer;
  in.forged_failed = t.forged_failed;
  in.timed_out = now - t.started >= deps_.rt->world.conformance.test_timeout;
  auto j = judge(in);
  if (j.decisive || in.timed_out) return finish_test(r, std::move(j));
  if (!j.complete) return;
  if (!t.complete_since) {
    t.complete_since = now;
    t.state = "settling";
  }
  if (now - *t.complete_since >= deps_.rt->world.conformance.settle) finish_test(r, std::move(j));
}

void conformance_runner::tick() {
  std::lock_guard lock(mutex_);
  for (auto& r : runs_)
    if (r->state == "running" && r->index < r->tests.size()) {
      if (r->quieting)
        wait_for_quiet(*r);
      else
        observe(*r);
    }
}

std::optional<nlohmann::json> conformance_runner::status(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& r : runs_)
    if (r->id == id) return run_json(*r);
  return std::nullopt;
}

nlohmann::json conformance_runner::list() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : runs_) {
    auto j = run_json(*r);
    j.erase("tests");
    out.push_back(std::move(j));
  }
  return {{"runs", out}, {"max_kept", max_kept}, {"max_active", max_active}};
}

bool conformance_runner::cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  for (auto& r : runs_) {
    if (r->id != id) continue;
    if (r->state == "running" && r->index < r->tests.size()) {
      put_back(*r);
      auto& t = r->tests[r->index];
      t.state = "done";
      t.ended = steady::now();
      t.result.detail = "cancelled";
      t.result.detail_ja = "中止されました";
    }
    if (r->state == "running") r->state = "cancelled";
    return true;
  }
  return false;
}

void conformance_runner::reset() {
  std::lock_guard lock(mutex_);
  for (auto& r : runs_)
    if (r->state == "running" && r->index < r->tests.size()) put_back(*r);
  runs_.clear();
  clock_holder_.clear();
}

std::optional<std::string> conformance_runner::report(const std::string& id, const std::string& format) const {
  auto j = status(id);
  if (!j) return std::nullopt;
  if (format == "junit") return conformance_junit(*j);
  if (format == "markdown") return conformance_markdown(*j);
  return dump_json(*j, 2) + "\n";
}

namespace {

// A string member, or "" when absent or of another type (a run's JSON from an older server, or
// one a client built).
std::string text_of(const nlohmann::json& t, const std::string& key) {
  auto it = t.find(key);
  return it != t.end() && it->is_string() ? it->get<std::string>() : "";
}

// `key` in Japanese and in English (`key_ja`, `key_en`, else `key`), Japanese first: the two
// that differ, or the one there is.
std::vector<std::string> both_languages(const nlohmann::json& t, const std::string& key) {
  auto ja = text_of(t, key + "_ja"), en = text_of(t, key + "_en");
  if (en.empty()) en = text_of(t, key);
  std::vector<std::string> out;
  if (!ja.empty()) out.push_back(ja);
  if (!en.empty() && en != ja) out.push_back(en);
  return out;
}

// `key`'s texts a line each, Japanese first: the Japanese one labelled `ja`, the English one
// (or the only one) `en`, each text put through `shown` (Markdown escaping, or as it is).
std::string labelled_lines(const nlohmann::json& t, const std::string& key, const char* ja, const char* en,
                           const std::function<std::string(const std::string&)>& shown) {
  auto texts = both_languages(t, key);
  std::string out;
  for (std::size_t i = 0; i < texts.size(); ++i)
    out += (texts.size() == 2 && i == 0 ? ja : en) + shown(texts[i]) + "\n";
  return out;
}

std::string joined(const std::vector<std::string>& texts, const std::string& separator) {
  std::string out;
  for (const auto& t : texts) out += (out.empty() ? "" : separator) + t;
  return out;
}

// How many journal entries showed it beyond those listed: "" when none.
std::string omitted_line(const nlohmann::json& t) {
  auto it = t.find("evidence_omitted");
  long n = it != t.end() && it->is_number_integer() ? it->get<long>() : 0;
  if (n <= 0) return "";
  return "ほか " + std::to_string(n) + " 件は省略 / " + std::to_string(n) + " more journal entries not listed";
}

// A test case's content: a failure with the remedy and the evidence, a skip, an error for a
// test not run (the run's `state` says why), or the detail as output for a pass or a warning.
// Every text in Japanese, then in English.
std::string junit_outcome(const nlohmann::json& t, const std::string& state) {
  auto verdict = t.value("verdict", "pending");
  auto details = both_languages(t, "detail");
  auto message = joined(details, " / ");
  std::string evidence;
  for (const auto& e : t["evidence"]) {
    evidence += evidence_line(e);
    evidence += '\n';
  }
  if (auto more = omitted_line(t); !more.empty()) evidence += more + "\n";
  auto remedy = labelled_lines(t, "remedy", "対処: ", "remedy: ", [](const std::string& text) { return text; });
  if (verdict == "not_applicable") return "      <skipped message=\"" + xml_escape(message) + "\"/>\n";
  if (verdict == "pending") return "      <error message=\"not run (" + xml_escape(state) + ")\"/>\n";
  if (verdict == "fail") {
    auto text = joined(details, "\n") + "\n" + remedy + evidence;
    return "      <failure message=\"" + xml_escape(message) + "\" type=\"" + xml_escape(t.value("test", "")) + "\">" +
           xml_escape(text) + "</failure>\n";
  }
  std::string text = verdict == "warning" ? "WARNING: " : "";
  text.append(joined(details, "\n")).append("\n");
  if (verdict == "warning") text += remedy;
  text += evidence;
  return "      <system-out>" + xml_escape(text) + "</system-out>\n";
}

}  // namespace

std::string conformance_junit(const nlohmann::json& run) {
  int failures = 0, skipped = 0, errors = 0;
  long total_ms = 0;
  std::string cases;
  auto client = run.value("client_id", "");
  for (const auto& t : run["tests"]) {
    auto verdict = t.value("verdict", "pending");
    long ms = t.value("duration_ms", 0L);
    total_ms += ms;
    failures += verdict == "fail";
    skipped += verdict == "not_applicable";
    errors += verdict == "pending";
    auto body = junit_outcome(t, run.value("state", ""));
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(ms) / 1000.0);
    cases += "    <testcase classname=\"mynasim.conformance." + xml_escape(client) + "\" name=\"" +
             xml_escape(t.value("name", "")) + "\" time=\"" + seconds + "\">\n" + body + "    </testcase>\n";
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(total_ms) / 1000.0);
  auto count = std::to_string(run["tests"].size());
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mynasim conformance\" tests=\"" + count +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" +
         std::to_string(skipped) + "\" time=\"" + seconds + "\">\n  <testsuite name=\"" +
         xml_escape(client + " (" + run.value("plan", "") + ", " + run.value("id", "") + ")") + "\" tests=\"" + count +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" +
         std::to_string(skipped) + "\" time=\"" + seconds + "\" timestamp=\"" +
         xml_escape(run.value("created_at", "")) + "\">\n" + cases + "  </testsuite>\n</testsuites>\n";
}

namespace {

// A test not passed, in detail: what was arranged, expected and seen, the remedy, the evidence
// (and how many entries were left out of it); what was seen and the remedy in Japanese first.
std::string markdown_section(const nlohmann::json& t) {
  std::string out = "\n## " + markdown_text(t.value("name", "")) + ": " + markdown_verdict(t.value("verdict", "")) +
                    "\n\n" + markdown_text(t.value("title_ja", "")) + " — " + markdown_text(t.value("title_en", "")) +
                    "\n\n";
  out += labelled_lines(t, "arranges", "- 準備: ", "- arranged: ", markdown_text);
  out += labelled_lines(t, "expects", "- 合格条件: ", "- expected: ", markdown_text);
  out += labelled_lines(t, "detail", "- 結果: ", "- seen: ", markdown_text);
  out += labelled_lines(t, "remedy", "- 対処: ", "- remedy: ", markdown_text);
  if (t.contains("evidence") && t["evidence"].is_array() && !t["evidence"].empty()) {
    out += "\nevidence (journal):\n\n";
    for (const auto& e : t["evidence"]) out += "- " + markdown_text(evidence_line(e)) + "\n";
    if (auto more = omitted_line(t); !more.empty()) out += "- " + markdown_text(more) + "\n";
  }
  return out;
}

}  // namespace

// Every value comes from the run's JSON, which carries the journal's and the app's text: each
// goes through markdown_text or markdown_code.
std::string conformance_markdown(const nlohmann::json& run) {
  const auto& s = run["summary"];
  std::string out = "# mynasim conformance: " + markdown_text(run.value("client_id", "")) + "\n\nrun " +
                    markdown_code(run.value("id", "")) + ", plan " + markdown_code(run.value("plan", "")) + ", " +
                    markdown_text(run.value("state", "")) + ", started " + markdown_text(run.value("created_at", "")) +
                    " (virtual clock)\n\n" + std::to_string(s.value("pass", 0)) + " pass, " +
                    std::to_string(s.value("warning", 0)) + " warning, " + std::to_string(s.value("fail", 0)) +
                    " fail, " + std::to_string(s.value("not_applicable", 0)) + " not applicable, " +
                    std::to_string(s.value("pending", 0)) +
                    " not run\n\n| test | 内容 | verdict | 詳細 | detail |\n|---|---|---|---|---|\n";
  for (const auto& t : run["tests"]) {
    auto en = text_of(t, "detail_en").empty() ? text_of(t, "detail") : text_of(t, "detail_en");
    out += "| " + markdown_code(t.value("name", "")) + " | " + markdown_text(t.value("title_ja", "")) + " | **" +
           markdown_verdict(t.value("verdict", "")) + "** | " + markdown_text(text_of(t, "detail_ja")) + " | " +
           markdown_text(en) + " |\n";
  }
  for (const auto& t : run["tests"])
    if (t.value("verdict", "") != "pass") out += markdown_section(t);
  return out;
}

}  // namespace mynasim

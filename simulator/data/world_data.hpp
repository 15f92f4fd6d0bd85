// SPDX-License-Identifier: Apache-2.0
// The test-data sheets as plain structs: item catalogue (特定個人情報), services
// (サービス情報設定シート), connections (接続情報設定シート), personas (テストデータ設定シート)
// and the portal's [decided] behaviour settings.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "clock/time.hpp"

namespace mynasim {

enum class query_method { date, range, latest };  // 時点指定, 範囲指定, 最新情報指定
const char* to_string(query_method m);

struct item_definition {
  std::string code;                  // 特定個人情報名コード: "TM" + 14 digits (sample codes)
  std::string name;                  // 情報名 as it appears in results, e.g. 児童扶養手当の支給情報
  std::string category;              // 分野名 (table 2.5-5)
  std::string field;                 // 分野詳細名 (table 2.5-5)
  std::vector<std::string> holders;  // ids of the 中間サーバ that hold it
  std::vector<std::string> fields;   // documented record fields
  // Selection by date: either a period (from/until field paths) or one date field path.
  std::string period_from, period_until, date_field;
  bool has_dates() const { return !date_field.empty() || !period_from.empty(); }
};

enum class certificate_state { valid, expired, revoked };
const char* to_string(certificate_state s);

struct card_config {
  std::string serial;
  std::string pin;  // 4 digits, 利用者証明用
  int pin_tries_left = 3;
  certificate_state certificate = certificate_state::valid;
};

struct persona_data {
  std::string item;    // item code
  std::string holder;  // system id holding these records (default: the item's first holder)
  std::string body;    // providing body, e.g. 神奈川県川崎市 (default: the persona's municipality)
  // Immutable once loaded, so personas generated from one template share one copy (a load-test
  // world of 100 000 personas holds its records once, not 100 000 times).
  std::shared_ptr<const std::vector<nlohmann::json>> shared_records;
  const std::vector<nlohmann::json>& records() const;
  void set_records(std::vector<nlohmann::json> records);
};

struct persona {
  std::string id;
  std::string name, kana, birth_date, sex, address, municipality;  // 基本4情報 and more
  std::string note;
  card_config card;
  std::vector<persona_data> data;
  std::string defined_at;
};

struct ci_defaults {
  std::string persona;  // empty: the pages are shown
  std::string outcome = "consent";
};

struct service_config {
  std::string client_id;    // <サービス提供者ID>_<サービスID>, e.g. SP00000086_AA0003
  std::string provider_id;  // SP00000086
  std::string service_id;   // AA0003
  std::string provider_name, name, purpose;
  std::vector<std::string> items;
  std::vector<query_method> query_methods;
  std::vector<std::string> redirect_uris;
  ci_defaults ci;
  std::string defined_at;  // file:line:col, or the admin change that made it
};

struct connection_config {
  std::string client_id;
  std::string notification_url;              // IF001-05 target
  std::string client_cert_sha256;            // accepted client certificate (mutual TLS), hex
  std::string client_cert_subject;           // or its subject, e.g. /C=JP/O=…/CN=…
  std::vector<std::string> allowed_sources;  // address prefixes; empty = any
  std::string defined_at;
};

struct error_entry {
  std::string code;     // errorCode on the wire
  int status = 400;     // HTTP status
  std::string message;  // Japanese message
  std::string when;     // documentation
};

struct portal_settings {
  millis session_lifetime{30 * 60 * 1000};
  millis code_lifetime{5 * 60 * 1000};
  millis token_lifetime{60 * 60 * 1000};
  millis result_lifetime{24 * 60 * 60 * 1000};
  millis processing_delay{200};  // real time before processing starts
  millis hop_timeout{10000};     // each inter-system call
  int notification_attempts = 5;
  millis notification_first_retry{1000};  // doubles per attempt
  millis notification_timeout{5000};
  std::string error_redirect = "standard";  // standard | code (code=access_denied&state=…)
  std::string request_response_type = "IFA0301-S01";
  std::string notification_type = "IFA0302-R01";
  std::string result_response_type = "IFA0303-S01";
  std::string range_prefix = "Range=";
  std::string latest_condition = "Latest";
  bool allow_test_overrides = true;  // mynasim_persona / X-Mynasim-* on authorize
  std::size_t max_sessions = 10000, max_codes = 10000, max_tokens = 10000, max_processes = 10000;
  std::size_t max_access_records = 1000;  // per persona
};

struct world_data {
  std::vector<item_definition> items;
  std::vector<service_config> services;
  std::vector<connection_config> connections;
  std::vector<persona> personas;
  portal_settings portal;
  std::map<std::string, error_entry> errors;  // by key, defaults merged with YAML

  const item_definition* find_item(std::string_view code) const;
  const service_config* find_service(std::string_view client_id) const;
  const connection_config* find_connection(std::string_view client_id) const;
  const persona* find_persona(std::string_view id) const;
  const persona* find_persona_by_card(std::string_view serial) const;

  // Hash indexes for the lookups above (every flow makes several); built once per snapshot by
  // data_source. Without them — or when an entry moved since — the lookups scan the lists.
  void reindex();
  // An index: looked up by string_view without making a string of the key.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using index_map = std::unordered_map<std::string, std::size_t, key_hash, std::equal_to<>>;

 private:
  struct indexes {
    index_map items, services, connections, personas, cards;
  };
  // A copy is about to be changed: it starts without indexes (lookups scan) until reindexed.
  struct index_holder {
    std::shared_ptr<const indexes> p;
    index_holder() = default;
    index_holder(const index_holder&) {}
    index_holder(index_holder&&) = default;
    index_holder& operator=(const index_holder& other) {
      if (this != &other) p.reset();  // assigned itself, the data is unchanged: its indexes still hold
      return *this;
    }
    index_holder& operator=(index_holder&&) = default;
  };
  index_holder index_;
};

// The sheets in force. A reader takes a snapshot for one piece of work and keeps it while it
// holds pointers into it; the admin API and reloads replace the whole snapshot, so nothing a
// reader holds changes under it. Thread-safe.
class data_source {
 public:
  explicit data_source(world_data initial = {}) {
    initial.reindex();
    current_ = std::make_shared<const world_data>(std::move(initial));
  }
  // Starts from a snapshot another source holds (indexed already): a named world shares the
  // files' sheets until its first runtime change.
  explicit data_source(std::shared_ptr<const world_data> shared) : current_(std::move(shared)) {}
  std::shared_ptr<const world_data> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(std::shared_ptr<world_data> next) {
    next->reindex();
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const world_data> current_;
};

// Shape checks of identifiers on the wire.
bool is_item_code(std::string_view s);    // TM + 14 digits
bool is_client_id(std::string_view s);    // SP + 8 digits, '_', 2 capitals + 4 digits
bool is_telegram_id(std::string_view s);  // TL-<8 digits>-<12 digits>-<4 digits>

// The built-in error catalogue (keys and defaults); YAML `errors:` overrides entries.
std::map<std::string, error_entry> default_error_catalogue();

}  // namespace mynasim

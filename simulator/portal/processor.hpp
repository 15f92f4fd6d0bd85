// SPDX-License-Identifier: Apache-2.0
// IF001-04 → IF001-05 → IF001-06: a request becomes a process; the portal asks the
// 情報提供ネットワークシステム over HTTP, builds the result, notifies the API user (with
// bounded retries) and keeps the result until it expires. Access records per persona.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/expiring_store.hpp"
#include "core/ids.hpp"
#include "intermediate/query.hpp"
#include "world/runtime.hpp"

namespace mynasim {

class http_client;
class http_server;
struct client_result;
struct provision_answer;

struct notification_attempt {
  instant at;
  int status = 0;
  std::string error;
  std::string telegram_type;  // of the API user's answer, when it sent one
};

using item_list = std::shared_ptr<const std::vector<std::string>>;

// What a completed process produced. Built once, then shared, never changed: a copy of the
// record (a lookup, a notification attempt, an access record) does not copy the data.
struct process_result {
  std::string data_text = "[]";                              // selfPersonalData, serialised once
  nlohmann::json provider_status = nlohmann::json::array();  // per holder
  std::string provider_status_text = "[]";                   // the same, serialised once
};

struct process_record {
  std::string process_id, client_id, persona_id, telegram_id, mode;
  inquiry query;
  item_list items;  // the service's items when the request was made
  bool ready = false;
  std::string error_key;      // empty on full success
  std::string error_message;  // formatted catalogue message, or what a fault declared
  std::string error_code;     // what a fault or scenario declared; empty: the catalogue's code for error_key
  std::shared_ptr<const process_result> result = empty_result();  // set when ready
  instant created, ready_at;
  std::vector<notification_attempt> notifications;

  static std::shared_ptr<const process_result> empty_result();
};

struct access_record {
  instant at;
  std::string client_id, service_name, process_id, outcome;
  item_list items;
};

// One IF001-05 attempt as it ended: for the journal, the log and the metrics.
struct notification_report {
  std::string url, sent_body;
  std::string answer;  // the body received, or the transport error
  int status = 0;      // 0: no HTTP answer
  int attempt = 1;
  millis latency{0};
  std::optional<millis> next_retry;  // none: no further attempt
  std::string outcome;               // delivered | failed | dropped
  std::vector<std::string> fired;    // fault ids that shaped it
  instant started{};                 // the virtual now when the attempt began
  std::uint64_t start_seq = 0;       // its start ticket (notification_hooks::began)
};

// Fault injection and observation of IF001-05, provided by the app.
struct notification_hooks {
  std::function<void(const std::string& client_id, const std::string& persona, bool& drop, millis& delay, int& copies,
                     std::vector<std::string>& fired)>
      policy;
  std::function<void(const notification_report& report, const process_record& p)> observed;
  // A start ticket for an attempt beginning now, ordered with the requests' (the journal's).
  std::function<std::uint64_t()> began;
};

class processor {
 public:
  using url_fn = std::function<std::string(const std::string& system_id)>;
  processor(world_runtime& rt, http_server& server, http_client& client, url_fn url_of, id_generator& ids);

  // Registers the telegramId (false if this service used it before) and starts processing.
  std::optional<std::string> start(const std::string& client_id, const std::string& persona_id,
                                   const std::string& telegram_id, const std::string& mode, const inquiry& q);
  std::optional<process_record> find(const std::string& process_id);
  struct counts_t {
    std::size_t pending = 0, ready = 0, expired = 0;
  };
  counts_t counts();  // of the processes kept now
  // The newest `limit` processes still kept, newest first.
  std::vector<process_record> recent(std::size_t limit);
  bool expired(const process_record& p) const;
  std::vector<access_record> access_records(const std::string& persona_id);
  void reset();
  void set_hooks(notification_hooks hooks) { hooks_ = std::move(hooks); }
  // What keeps this processor's owner alive while its scheduled work and hops are pending (a
  // named world removed meanwhile is released after them). Default: nothing.
  void set_keep_alive(std::function<std::shared_ptr<void>()> keep_alive) { keep_alive_ = std::move(keep_alive); }
  // A failed system's answer (503 with a reason, or an error): its catalogue key, the message
  // the user reads, and — for an injected fault that declared one — the errorCode it declared.
  std::string failure_key(const nlohmann::json& failure) const;
  std::string outage_message(const std::string& key, const nlohmann::json& failure) const;
  static std::string declared_code(const nlohmann::json& failure);

 private:
  void send_notification(const std::string& process_id, int attempt, const std::vector<std::string>& fired);
  void run(const std::string& process_id);
  // The network's answer to a process's provision request: the process ends with its result,
  // or failed as a whole, the network (or the system it names) to blame.
  void on_provision_answer(const std::string& process_id, const system_config& network, const client_result& r);
  void finish_unprovided(const std::string& process_id, const nlohmann::json& failure);
  void finish_provided(const std::string& process_id, const provision_answer& answer);
  void finish(const std::string& process_id, const std::function<void(process_record&)>& fill);
  void notify(const std::string& process_id, int attempt);
  void record_access(const std::string& persona_id, access_record a);

  world_runtime* rt_;
  http_server* server_;
  http_client* client_;
  url_fn url_of_;
  id_generator* ids_;
  expiring_store<process_record> processes_;
  expiring_store<bool> telegram_ids_;
  notification_hooks hooks_;
  std::function<std::shared_ptr<void>()> keep_alive_ = [] { return std::shared_ptr<void>(); };
  std::mutex access_mutex_;
  std::map<std::string, std::deque<access_record>> access_;
};

}  // namespace mynasim

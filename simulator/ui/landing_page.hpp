// SPDX-License-Identifier: Apache-2.0
// The page at the root of the `app` listener: what this server is, where the control room and
// docs are, and for each service × persona a ready authorize link with the test card's serial
// and PIN (test cards: nothing here is secret), plus the non-interactive URL for a test.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "data/world_data.hpp"

namespace mynasim {

// The page stays small whatever the world's size: one page of services (`?page=`), those
// whose client_id or name contains `?service=`, and a bounded number of persona rows.
struct landing_facts {
  std::string world_name;
  std::string app_origin;         // e.g. https://localhost:8443 (from the request's Host)
  std::string admin_url;          // the control room, e.g. http://127.0.0.1:8081/__admin/ui ("" when not served)
  std::size_t max_personas = 50;  // per service: a generated world of 100 000 personas lists the first ones
  std::size_t services_per_page = 20;
  std::size_t max_rows = 200;  // persona rows of all the page's services together (at least one each)
  std::size_t max_items = 20;  // item names listed per service
  std::string filter;          // ?service= (at most max_filter_bytes)
  std::size_t page = 1;        // ?page=, from 1
  // Tries left on a persona's card now (nullopt: as defined).
  std::function<std::optional<int>(const std::string& serial)> tries_left;
};

inline constexpr std::size_t max_filter_bytes = 64;
// Reads `service` and `page` of the landing page's query string into `facts`, bounded (a
// longer filter is cut, a page that is not a small number is the first); the rest is ignored.
void read_landing_query(std::string_view query, landing_facts& facts);

// The persona's traits a tester picks by: expired / revoked / locked / no data.
std::string persona_traits(const persona& p, int tries_left);
std::string landing_page(const world_data& data, const landing_facts& facts);

// mynasim's stand-in for an API user's callback page (redirect URIs ending in this path):
// what the service received, and the IF001-03 call to make with the code.
inline constexpr const char* sample_callback_path = "/sample-app/callback";
struct callback_facts {
  std::vector<std::pair<std::string, std::string>> query;  // as received
  std::string redirect_uri;                                // this page's own URL, as registered
  std::string sp_origin;                                   // e.g. https://localhost:9443
};
std::string sample_callback_page(const world_data& data, const callback_facts& facts);

}  // namespace mynasim

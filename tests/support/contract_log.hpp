// SPDX-License-Identifier: Apache-2.0
// Contract recording: when MYNASIM_CONTRACT_LOG names a file, every response a test client
// reads (and every IF001-05 notification a test receiver gets) is appended to it as one JSON
// line, for tests/tools/check_contract.py to validate against docs/openapi/*.yaml.
#pragma once

#include <map>
#include <string>

namespace mynasim::test {

bool contract_recording();

// While one lives on this thread, responses are not recorded: for a test that reads on purpose
// what is outside the contract (a hostile world owner's bytes relayed by a follower).
struct contract_exemption {
  contract_exemption();
  ~contract_exemption();
  contract_exemption(const contract_exemption&) = delete;
  contract_exemption& operator=(const contract_exemption&) = delete;
};
// A response to `method target` (the request line as sent).
void record_response(const std::string& method, const std::string& target, int status,
                     const std::map<std::string, std::string>& headers, const std::string& body);
// An IF001-05 notification mynasim sent, and the answer given to it.
void record_notification(const std::string& path, const std::string& body, int answered_status);

}  // namespace mynasim::test

// SPDX-License-Identifier: Apache-2.0
// A blocking HTTP/1.1 call to a mynasim admin listener, for the command line (`mynasim
// conformance run`). Plain http:// only; one connection per call, one deadline for all of it
// (resolve, connect, write, read), the answer's head and body bounded.
#pragma once

#include <chrono>
#include <string>

namespace mynasim {

struct admin_answer {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
};

admin_answer admin_call(const std::string& base_url, const std::string& method, const std::string& target,
                        const std::string& body, const std::string& bearer_token,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace mynasim

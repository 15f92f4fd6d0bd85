// IF001-04 inquiryCondition (Date=, Range=, Latest) and the inquiry the network forwards.
#include <string>

#include "core/json_util.hpp"
#include "intermediate/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  static const mynasim::portal_settings settings{};
  if (auto q = mynasim::parse_inquiry(text, settings)) (void)mynasim::inquiry_json(*q);
  std::string error;
  if (auto j = mynasim::parse_json(text, error, {4096, 16})) (void)mynasim::inquiry_from_json(*j);
  return 0;
}

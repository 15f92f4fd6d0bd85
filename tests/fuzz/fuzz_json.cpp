// The one guarded JSON parser behind every JSON entry point and peer answer.
#include <string_view>

#include "core/json_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto j = mynasim::parse_json(text, error, {64 * 1024, 64});
  if (!j) return 0;
  (void)mynasim::dump_json(*j);
  (void)mynasim::string_member(*j, "commonHeader");
  if (j->is_object() && j->contains("commonHeader")) (void)mynasim::string_member((*j)["commonHeader"], "telegramId");
  return 0;
}

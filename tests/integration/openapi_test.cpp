// SPDX-License-Identifier: Apache-2.0
// The OpenAPI documents: served as built in, equal to docs/openapi, and their error catalogue
// equal to the one mynasim answers with (docs/errors.md is held to it by CliTest).
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "config/yaml_reader.hpp"
#include "flow_client.hpp"

namespace mynasim::test {
namespace {

std::string read_doc(const std::string& name) {
  std::ifstream in(std::string(MYNASIM_SOURCE_DIR) + "/docs/openapi/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(OpenApi, DocumentsAreServedAsKeptInDocs) {
  test_server server;
  for (const char* name : {"mynasim-api.yaml", "mynasim-admin.yaml"}) {
    auto r = server.admin("GET", std::string("/__admin/openapi/") + name);
    EXPECT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.header("content-type"), "application/yaml; charset=utf-8");
    EXPECT_EQ(r.body, read_doc(name)) << name << " differs from docs/openapi (rebuild)";
    auto doc = yaml_to_json(load_yaml_string(r.body, name), false);
    EXPECT_EQ(doc["openapi"], "3.1.0");
  }
  EXPECT_EQ(server.admin("GET", "/__admin/openapi/other.yaml").status, 404);
}

TEST(OpenApi, ErrorCatalogueIsTheOneMynasimAnswersWith) {
  auto doc = yaml_to_json(load_yaml_string(read_doc("mynasim-api.yaml"), "mynasim-api.yaml"), false);
  auto entries = doc["components"]["schemas"]["ErrorCode"]["oneOf"];
  ASSERT_TRUE(entries.is_array());
  const auto data = test_world().data;
  std::map<std::string, std::tuple<std::string, int, std::string>> documented;  // code → key, status, message
  for (const auto& e : entries)
    documented[e["const"].get<std::string>()] = {e["title"].get<std::string>(),
                                                 std::stoi(e["x-http-status"].get<std::string>()),
                                                 e["description"].get<std::string>()};
  std::map<std::string, std::tuple<std::string, int, std::string>> answered;
  for (const auto& [key, e] : data.errors) answered[e.code] = {key, e.status, e.message};
  EXPECT_EQ(documented, answered) << "regenerate components.schemas.ErrorCode of docs/openapi/mynasim-api.yaml from "
                                     "`mynasim errors --json`";
}

// Every route the server registers is an operation of one of the documents: nothing ships
// undocumented. Path parameters are compared by position, not by name.
TEST(OpenApi, EveryRouteIsDocumented) {
  auto normalise = [](std::string p) {
    for (std::size_t open; (open = p.find('{')) != std::string::npos;)
      p.replace(open, p.find('}', open) - open + 1, "*");
    return p;
  };
  std::set<std::string> documented;
  for (const char* name : {"mynasim-api.yaml", "mynasim-admin.yaml"}) {
    auto doc = yaml_to_json(load_yaml_string(read_doc(name), name), false);
    for (const auto& [path, ops] : doc["paths"].items())
      for (const auto& [op, spec] : ops.items()) {
        auto method = op;
        for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        documented.insert(method + " " + normalise(path));
      }
  }
  test_server server;
  std::size_t routes = 0;
  for (const auto& [listener, method, pattern] : server.app().routes()) {
    ++routes;
    auto key = method + " " + normalise(pattern);
    bool systems_generic = pattern.rfind("/systems/", 0) == 0 &&
                           documented.count(method + " /systems/*/" + pattern.substr(pattern.rfind('/') + 1));
    EXPECT_TRUE(documented.count(key) || systems_generic) << listener << ": " << key << " is not in docs/openapi";
  }
  EXPECT_GT(routes, 60u);
}

}  // namespace
}  // namespace mynasim::test

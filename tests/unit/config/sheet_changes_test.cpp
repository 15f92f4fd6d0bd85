// SPDX-License-Identifier: Apache-2.0
#include "config/sheet_changes.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "config/yaml_reader.hpp"

namespace mynasim {
namespace {

world_config default_world() {
  return load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
}

sheet_change change(sheet_change::op op, std::string section, std::string id, std::string text = "") {
  return {op, std::move(section), std::move(id), std::move(text), "test"};
}

TEST(SheetChanges, PatchMergesIntoTheCurrentEntryAndKeepsTheRest) {
  auto w = default_world();
  apply_sheet_changes(w, w.data,
                      {change(sheet_change::op::patch, "connections", "SP00000086_AA0003",
                              R"({"notification_url": "http://bank:3000/n", "allowed_sources": ["10."]})")});
  const auto* c = w.data.find_connection("SP00000086_AA0003");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->notification_url, "http://bank:3000/n");
  EXPECT_EQ(c->client_cert_subject, "/C=JP/O=Sample API user/CN=SP00000086_AA0003");
  EXPECT_EQ(c->allowed_sources, std::vector<std::string>{"10."});
  // null removes a key (RFC 7386): the subject binding goes away.
  apply_sheet_changes(
      w, w.data,
      {change(sheet_change::op::patch, "connections", "SP00000086_AA0003", R"({"client_cert_subject": null})")});
  EXPECT_EQ(w.data.find_connection("SP00000086_AA0003")->client_cert_subject, "");
}

TEST(SheetChanges, ErrorsNameTheChangeThePathAndThePosition) {
  auto w = default_world();
  try {
    apply_sheet_changes(w, w.data,
                        {change(sheet_change::op::put, "personas", "x", "name: a\ncard: {serial: S, pin: 12}\n")});
    FAIL();
  } catch (const config_error& e) {
    EXPECT_STREQ(e.what(), "test:1:1: personas[x]: missing required key 'kana'");
  }
  try {
    apply_sheet_changes(w, w.data, {change(sheet_change::op::remove, "services", "SP00000999_ZZ0001")});
    FAIL();
  } catch (const config_error& e) {
    EXPECT_STREQ(e.what(), "test: services[SP00000999_ZZ0001]: no such service");
  }
}

// Records `c` the way the editor does: applied to the world, then recorded with both states.
record_result apply_and_record(world_config& w, std::vector<sheet_change>& list, const sheet_change& c,
                               const change_limits& limits = {}) {
  auto before = w.data;
  apply_sheet_changes(w, w.data, {c});
  return record_sheet_change(list, c, before, w.data, limits);
}

const char* newbie = R"({"name": "x", "kana": "x", "birth_date": "2000-01-02", "sex": "x", "address": "x",
                         "municipality": "x", "card": {"serial": "MC00009999", "pin": "4321"}})";

TEST(SheetChanges, ALaterPutOrRemoveSupersedesEarlierChangesToTheSameEntry) {
  auto w = default_world();
  std::vector<sheet_change> list;
  const char* service = R"({"provider_name": "x", "name": "x", "purpose": "x", "items": ["TM00000000000003"],
                            "redirect_uris": ["http://a/cb"]})";
  auto put = change(sheet_change::op::put, "services", "SP00000999_ZZ0001", service);
  ASSERT_EQ(apply_and_record(w, list, put), record_result::recorded);
  ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "services", "SP00000999_ZZ0001", "{}")),
            record_result::recorded);
  ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::put, "personas", "newbie", newbie)),
            record_result::recorded);
  ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::remove, "services", "SP00000999_ZZ0001")),
            record_result::recorded);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].what, sheet_change::op::remove);  // in the place of the first change to the service
  EXPECT_EQ(list[1].section, "personas");
}

// issue 26 item 8: 150 patches of one entry were 150 changes; now they are one.
TEST(SheetChanges, RepeatedPatchesOfOneEntryAreFoldedIntoOne) {
  auto w = default_world();
  std::vector<sheet_change> list;
  for (int i = 0; i < 150; ++i) {
    auto note = R"({"note": ")" + std::string(1000, 'a' + i % 26) + R"("})";
    ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "taro", note)),
              record_result::recorded);
    // Other entries patched in between do not keep it from folding.
    ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "jiro", R"({"sex": "男"})")),
              record_result::recorded);
  }
  ASSERT_EQ(list.size(), 2u);
  EXPECT_LT(change_list_bytes(list), 2000u);
  // Replayed over the files, the folded list gives the same world.
  auto files = default_world();
  apply_sheet_changes(files, files.data, list);
  EXPECT_EQ(persona_json(*files.data.find_persona("taro")), persona_json(*w.data.find_persona("taro")));
  // A patch after a put makes the put the entry as it is now.
  ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::put, "personas", "newbie", newbie)),
            record_result::recorded);
  ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "newbie", R"({"note": "n"})")),
            record_result::recorded);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2].what, sheet_change::op::put);
  EXPECT_NE(list[2].text.find("\"note\":\"n\""), std::string::npos) << list[2].text;
}

// A change another one recorded since depends on is not moved past it: here jiro takes the
// card serial hanako gave up after jiro's earlier patch, so the two patches of jiro stay apart.
TEST(SheetChanges, ChangesOthersDependOnAreNotFolded) {
  auto w = default_world();
  std::vector<sheet_change> list;
  auto patch = [](const char* id, const std::string& text) {
    return change(sheet_change::op::patch, "personas", id, text);
  };
  ASSERT_EQ(apply_and_record(w, list, patch("jiro", R"({"note": "first"})")), record_result::recorded);
  ASSERT_EQ(apply_and_record(w, list, patch("hanako", R"({"card": {"serial": "MC00007777"}})")),
            record_result::recorded);
  ASSERT_EQ(apply_and_record(w, list, patch("jiro", R"({"card": {"serial": "MC00000002"}})")), record_result::recorded);
  ASSERT_EQ(list.size(), 3u);
  // Folded, jiro would take MC00000002 while hanako still holds it.
  auto files = default_world();
  EXPECT_NO_THROW(apply_sheet_changes(files, files.data, list));
  EXPECT_EQ(files.data.find_persona("jiro")->card.serial, "MC00000002");
  EXPECT_EQ(files.data.find_persona("jiro")->note, "first");
  // A service naming a persona added after the service's first change is not moved before it.
  const char* service = R"({"provider_name": "x", "name": "x", "purpose": "x", "items": ["TM00000000000003"],
                            "redirect_uris": ["http://a/cb"]})";
  ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::put, "services", "SP00000999_ZZ0001", service)),
            record_result::recorded);
  auto other = std::string(newbie);
  other.replace(other.find("MC00009999"), 10, "MC00006666");
  ASSERT_EQ(apply_and_record(w, list, change(sheet_change::op::put, "personas", "third", other)),
            record_result::recorded);
  ASSERT_EQ(apply_and_record(w, list,
                             change(sheet_change::op::patch, "services", "SP00000999_ZZ0001",
                                    R"({"ci": {"persona": "third", "outcome": "consent"}})")),
            record_result::recorded);
  EXPECT_EQ(list.size(), 6u);
  files = default_world();
  EXPECT_NO_THROW(apply_sheet_changes(files, files.data, list));
}

TEST(SheetChanges, TheListIsBoundedInBytesAndEachChangeInSize) {
  auto w = default_world();
  std::vector<sheet_change> list;
  change_limits limits;
  limits.max_bytes = 20000;
  limits.max_change_bytes = 8000;
  auto big = R"({"note": ")" + std::string(9000, 'x') + R"("})";
  EXPECT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "taro", big), limits),
            record_result::too_large);
  auto note = R"({"note": ")" + std::string(6000, 'x') + R"("})";
  EXPECT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "taro", note), limits),
            record_result::recorded);
  EXPECT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "jiro", note), limits),
            record_result::recorded);
  EXPECT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "ken", note), limits),
            record_result::recorded);
  EXPECT_EQ(apply_and_record(w, list, change(sheet_change::op::patch, "personas", "misaki", note), limits),
            record_result::list_full);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_LE(change_list_bytes(list), limits.max_bytes);
  // What a follower reads is no larger than what is counted.
  nlohmann::json wire = nlohmann::json::array();
  for (const auto& c : list)
    wire.push_back(
        {{"origin", c.origin}, {"section", c.section}, {"id", c.id}, {"op", to_string(c.what)}, {"text", c.text}});
  EXPECT_LE(wire.dump().size(), change_list_bytes(list));
}

TEST(SheetChanges, MergePatchesComposeLikeTheirSequence) {
  auto compose = [](const char* a, const char* b) {
    return compose_merge_patches(nlohmann::json::parse(a), nlohmann::json::parse(b));
  };
  for (auto [a, b] : std::vector<std::pair<const char*, const char*>>{
           {R"({"a": 1, "b": {"c": 1}})", R"({"a": null, "b": {"d": 2}})"},
           {R"({"a": {"x": 1}})", R"({"a": {"x": null, "y": 2}, "z": [1]})"},
           {R"({"a": 1})", R"({"b": {"c": null}})"}}) {
    auto composed = compose(a, b);
    ASSERT_TRUE(composed) << a << " " << b;
    for (const char* target : {R"({})", R"({"a": {"x": 5, "q": 1}, "b": {"c": 0, "e": 1}})", R"({"b": 3})"}) {
      auto sequential = nlohmann::json::parse(target), once = sequential;
      sequential.merge_patch(nlohmann::json::parse(a));
      sequential.merge_patch(nlohmann::json::parse(b));
      once.merge_patch(*composed);
      EXPECT_EQ(once, sequential) << a << " then " << b << " on " << target;
    }
  }
  // A key deleted, then an object merged into it: no single patch says "exactly this object".
  EXPECT_FALSE(compose(R"({"ci": null})", R"({"ci": {"persona": "x"}})"));
}

// issue 26 item 10: a change the files made moot is dropped on replay, the rest applied.
TEST(SheetChanges, ReplayDropsChangesThatNoLongerApply) {
  auto w = default_world();
  std::vector<sheet_change> list{change(sheet_change::op::remove, "personas", "nobody"),
                                 change(sheet_change::op::patch, "personas", "gone", R"({"note": "x"})"),
                                 change(sheet_change::op::patch, "personas", "taro", R"({"note": "kept"})")};
  auto dropped = replay_sheet_changes(w, w.data, list);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_NE(dropped[0].message.find("no such persona"), std::string::npos) << dropped[0].message;
  EXPECT_NE(dropped[1].message.find("no such entry"), std::string::npos) << dropped[1].message;
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(w.data.find_persona("taro")->note, "kept");
}

TEST(SheetChanges, ApiUserSpecs) {
  std::string error;
  auto all = parse_api_user("http://bank:3000/", error);
  ASSERT_TRUE(all) << error;
  EXPECT_EQ(all->id, "");
  auto one = parse_api_user("SP00000086_AA0003=https://bank.example", error);
  ASSERT_TRUE(one) << error;
  EXPECT_EQ(one->id, "SP00000086_AA0003");
  for (const char* bad : {"bank:3000", "ftp://x", "SP1=http://x", "http://", "http://x y", "http://x/?q"})
    EXPECT_FALSE(parse_api_user(bad, error)) << bad;
  auto w = default_world();
  apply_sheet_changes(w, w.data, {*all});
  for (const auto& s : w.data.services) {
    EXPECT_EQ(s.redirect_uris.front(), "http://bank:3000/callback") << s.client_id;
    EXPECT_EQ(w.data.find_connection(s.client_id)->notification_url, "http://bank:3000/myna/notify");
  }
}

TEST(SheetChanges, ChangesSurviveTheWireToAFollower) {
  auto c = change(sheet_change::op::patch, "connections", "SP00000086_AA0003", "{}");
  nlohmann::json j{
      {"op", to_string(c.what)}, {"section", c.section}, {"id", c.id}, {"text", c.text}, {"origin", c.origin}};
  auto back = sheet_change_from_json(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->what, c.what);
  EXPECT_EQ(back->text, c.text);
  j["section"] = "systems";
  EXPECT_FALSE(sheet_change_from_json(j));
  EXPECT_FALSE(sheet_change_from_json(nlohmann::json::array()));
}

TEST(WorldOverride, ALaterFileReplacesAnEntryOnlyWhenItSaysSo) {
  // covered end to end by the Reload integration tests; here the error for a dangling override
  auto dir = std::filesystem::temp_directory_path() / ("mynasim-override-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "w.yaml")
      << "include: [\"" << MYNASIM_SOURCE_DIR << "/fixtures/world.yaml\"]\n"
      << "personas:\n  - {id: nobody, override: true, name: x, kana: x, birth_date: \"2000-01-01\","
         " sex: x, address: x, municipality: x, card: {serial: Z1, pin: \"1111\"}}\n";
  try {
    load_world((dir / "w.yaml").string());
    FAIL();
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find("w.yaml:3:5: personas[0]: override: true, but no earlier persona nobody"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mynasim

namespace mynasim {
namespace {

TEST(WorldDataIndex, IndexedLookupsAgreeWithScansAndCopiesNeverUseAStaleIndex) {
  auto w = load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
  data_source source(w.data);
  auto indexed = source.get();
  for (const auto& p : w.data.personas) {
    EXPECT_EQ(indexed->find_persona(p.id)->id, p.id);
    EXPECT_EQ(indexed->find_persona_by_card(p.card.serial)->id, p.id);
  }
  EXPECT_EQ(indexed->find_persona("nobody"), nullptr);
  EXPECT_EQ(indexed->find_service("SP00000086_AA0003")->client_id, "SP00000086_AA0003");
  // A copy being changed: the same size, another id in place of one removed.
  world_data copy = *indexed;
  copy.personas.front().id = "renamed";
  EXPECT_EQ(copy.find_persona("renamed")->id, "renamed");
  EXPECT_EQ(copy.find_persona(w.data.personas.front().id), nullptr);
  source.replace(std::make_shared<world_data>(copy));
  EXPECT_EQ(source.get()->find_persona("renamed")->id, "renamed");
}

}  // namespace
}  // namespace mynasim

namespace mynasim {
namespace {

std::string generated_world(const std::string& personas) {
  auto dir = std::filesystem::temp_directory_path() / ("mynasim-gen-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "w.yaml") << "include: [\"" << MYNASIM_SOURCE_DIR << "/fixtures/world.yaml\"]\npersonas:\n"
                                << personas;
  return (dir / "w.yaml").string();
}

TEST(PersonaGenerator, CountCopiesTheTemplateWithNumberedStrings) {
  auto w = load_world(generated_world(
      "  - count: 1200\n    id: \"gen-{n}\"\n    name: \"生成 {n}号\"\n    kana: セイセイ\n    birth_date: "
      "\"1990-01-01\"\n"
      "    sex: 女\n    address: \"番地{n}\"\n    municipality: 東京都港区\n    card: {serial: \"G{n:06}\", pin: "
      "\"{n:04}\"}\n"
      "    data:\n      - item: TM00000000000003\n        records: [{課税年度: \"2025\", 合計所得金額: \"{n}00\"}]\n"));
  data_source source(w.data);
  auto d = source.get();
  const auto* p = d->find_persona("gen-1200");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "生成 1200号");
  EXPECT_EQ(p->card.serial, "G001200");
  EXPECT_EQ(p->card.pin, "1200");
  EXPECT_EQ(p->data[0].records()[0]["合計所得金額"], "120000");
  EXPECT_EQ(p->data[0].body, "東京都港区");
  EXPECT_EQ(d->find_persona_by_card("G000007")->id, "gen-7");
  EXPECT_EQ(d->find_persona("gen-7")->card.pin, "0007");
}

// Records that do not vary are held once for every generated persona; ones that do are each
// persona's own.
TEST(PersonaGenerator, CopiesShareRecordsThatDoNotVary) {
  auto w = load_world(generated_world(
      "  - count: 3\n    id: \"same-{n}\"\n    name: x\n    kana: x\n    birth_date: \"1990-01-01\"\n"
      "    sex: x\n    address: \"番地{n}\"\n    municipality: 東京都港区\n    card: {serial: \"S{n:06}\", pin: "
      "\"1234\"}\n"
      "    data:\n      - item: TM00000000000003\n        records: [{課税年度: \"2025\", 合計所得金額: \"100\"}]\n"
      "  - count: 2\n    id: \"own-{n}\"\n    name: x\n    kana: x\n    birth_date: \"1990-01-01\"\n"
      "    sex: x\n    address: x\n    municipality: 東京都港区\n    card: {serial: \"O{n:06}\", pin: \"1234\"}\n"
      "    data:\n      - item: TM00000000000003\n        records: [{課税年度: \"2025\", 合計所得金額: \"{n}\"}]\n"));
  data_source source(w.data);
  auto d = source.get();
  const auto &a = d->find_persona("same-1")->data[0], &b = d->find_persona("same-3")->data[0];
  EXPECT_EQ(a.shared_records, b.shared_records);
  EXPECT_EQ(b.records()[0]["合計所得金額"], "100");
  const auto &c = d->find_persona("own-1")->data[0], &e = d->find_persona("own-2")->data[0];
  EXPECT_NE(c.shared_records, e.shared_records);
  EXPECT_EQ(c.records()[0]["合計所得金額"], "1");
  EXPECT_EQ(e.records()[0]["合計所得金額"], "2");
}

TEST(PersonaGenerator, BadTemplatesAndCollisionsStopLoading) {
  auto base =
      std::string("    kana: x\n    birth_date: \"1990-01-01\"\n    sex: x\n    address: x\n    municipality: x\n");
  for (const auto& [yaml, message] : std::vector<std::pair<std::string, std::string>>{
           {"  - count: 20\n    id: \"g-{n}\"\n    name: x\n" + base + "    card: {serial: \"S{n}\", pin: \"{n}\"}\n",
            "w.yaml:11:33: personas[0].card.pin: the 利用者証明用 PIN is 4 digits"},
           {"  - count: 2\n    id: \"g-{n}\"\n    name: x\n" + base + "    card: {serial: \"SAME\", pin: \"1111\"}\n",
            "card serial SAME is used twice"},
           {"  - count: 2\n    id: \"g-{n:x}\"\n    name: x\n" + base + "    card: {serial: \"S{n}\", pin: \"1111\"}\n",
            "a placeholder is {n} or {n:06}"},
           {"  - count: 0\n    id: g\n    name: x\n" + base + "    card: {serial: S, pin: \"1111\"}\n",
            "out of range"}}) {
    try {
      load_world(generated_world(yaml));
      ADD_FAILURE() << yaml;
    } catch (const config_error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace mynasim

// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void readsEveryKindOfValue() {
    Map<String, Object> m = Json.parseObject(
        " {\"s\":\"a\\\"b\\\\c\\/\\n\\u3042\\ud83d\\ude00\",\"i\":-12,\"big\":18446744073709551616,\"d\":1.5e2,"
            + "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}],\"o\":{\"x\":{}}} ");
    assertEquals("a\"b\\c/\nあ😀", m.get("s"));
    assertEquals(-12L, m.get("i"));
    assertEquals(new BigInteger("18446744073709551616"), m.get("big"));
    assertEquals(150.0, m.get("d"));
    assertEquals(Boolean.TRUE, m.get("t"));
    assertEquals(Boolean.FALSE, m.get("f"));
    assertTrue(m.containsKey("n"));
    assertNull(m.get("n"));
    assertEquals(Arrays.asList(1L, List.of(), Map.of()), m.get("a"));
    assertEquals(List.of("s", "i", "big", "d", "t", "f", "n", "a", "o"), List.copyOf(m.keySet()));
  }

  @Test
  void refusesMalformedText() {
    for (String bad : new String[] {"", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", "-", "1e", "\"\\x\"",
        "\"a\nb\"", "tru", "nul", "[1 2]", "{\"a\" 1}", "\"\\u12\"", "1 2", "{\"a\":1}x", "\"unterminated"}) {
      assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
    }
  }

  @Test
  void refusesRepeatedKeys() {
    Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));
    assertTrue(e.getMessage().contains("repeated key"), e.getMessage());
  }

  @Test
  void boundsDepthAndSize() {
    String deep64 = "[".repeat(64) + "]".repeat(64);
    Json.parse(deep64);
    String deep65 = "[".repeat(65) + "]".repeat(65);
    Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(deep65));
    assertTrue(e.getMessage().contains("nesting"), e.getMessage());
    assertThrows(Json.JsonException.class, () -> Json.parse("[" + "{\"a\":".repeat(100) + "1" + "}".repeat(100) + "]"));
    assertThrows(Json.JsonException.class, () -> Json.parse("\"" + "x".repeat(100) + "\"", 64, 50));
    assertThrows(Json.JsonException.class, () -> Json.parse("1" + "0".repeat(500)));
  }

  @Test
  void writesAndReadsBack() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "tab\there \"q\" \\ \u0001 \u2028 日本");
    m.put("l", 42L);
    m.put("i", 7);
    m.put("d", 0.25);
    m.put("whole", 60.0);
    m.put("n", null);
    m.put("list", List.of(true, false));
    m.put("arr", new Object[] {"x"});
    m.put("dur", java.time.Duration.ofHours(2));
    String text = Json.write(m);
    assertEquals("{\"s\":\"tab\\there \\\"q\\\" \\\\ \\u0001 \\u2028 日本\",\"l\":42,\"i\":7,\"d\":0.25,\"whole\":60,"
        + "\"n\":null,\"list\":[true,false],\"arr\":[\"x\"],\"dur\":\"PT2H\"}", text);
    Map<String, Object> back = Json.parseObject(text);
    assertEquals(m.get("s"), back.get("s"));
    assertEquals(0.25, back.get("d"));
  }

  @Test
  void refusesWhatIsNotJson() {
    assertThrows(Json.JsonException.class, () -> Json.write(Double.NaN));
    assertThrows(Json.JsonException.class, () -> Json.write(new Object()));
    Object deep = List.of();
    for (int i = 0; i < 70; i++) {
      deep = List.of(deep);
    }
    Object d = deep;
    assertThrows(Json.JsonException.class, () -> Json.write(d));
  }

  @Test
  void objHelperLeavesOutNulls() {
    assertEquals("{\"a\":1,\"c\":\"x\"}", Json.write(Json.obj("a", 1, "b", null, "c", "x")));
    assertEquals(3L, Json.num(Json.parseObject("{\"n\":3}"), "n", 0));
    assertEquals(-1L, Json.num(Json.parseObject("{\"n\":\"3\"}"), "n", -1));
  }
}

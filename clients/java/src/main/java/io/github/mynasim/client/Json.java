// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, bounded JSON reader and writer (RFC 8259), so that the client needs nothing beyond the
 * JDK.
 *
 * <p>Reading: objects become {@code LinkedHashMap<String,Object>} (key order kept; a repeated key
 * is refused), arrays {@code ArrayList<Object>}, strings {@code String}, integers {@code Long}
 * (or {@code BigInteger} when larger), other numbers {@code Double} (or {@code BigDecimal} when a
 * double would lose them), {@code true}/{@code false} {@code Boolean}, {@code null} Java null.
 * Input is bounded by nesting depth and length ({@link #DEFAULT_MAX_DEPTH}, {@link
 * #DEFAULT_MAX_CHARS}); anything else is a {@link JsonException} naming the offset.
 *
 * <p>Writing: {@code Map} (keys by {@code toString}), {@code Iterable}, arrays of objects, {@code
 * CharSequence}, {@code Number}, {@code Boolean}, {@code null}, enums (their {@code toString}),
 * {@code Instant}/{@code OffsetDateTime}/{@code Duration} (ISO-8601 text).
 */
public final class Json {
  /** Nesting depth accepted by default (mynasim itself nests at most 64 levels). */
  public static final int DEFAULT_MAX_DEPTH = 64;
  /** Characters accepted by default: 32 Mi. */
  public static final int DEFAULT_MAX_CHARS = 32 * 1024 * 1024;

  private Json() {}

  /** A malformed or too large JSON text. */
  public static final class JsonException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int offset;

    JsonException(String message, int offset) {
      super(message + (offset >= 0 ? " at offset " + offset : ""));
      this.offset = offset;
    }

    /** Where in the text it went wrong (-1: not tied to a place). */
    public int offset() {
      return offset;
    }
  }

  /** Parses with the default bounds. */
  public static Object parse(String text) {
    return parse(text, DEFAULT_MAX_DEPTH, DEFAULT_MAX_CHARS);
  }

  /** Parses a JSON text whose top level must be an object. */
  public static Map<String, Object> parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof Map)) {
      throw new JsonException("expected a JSON object", 0);
    }
    return asMap(v);
  }

  /** Parses one JSON value (surrounding whitespace allowed, nothing else after it). */
  public static Object parse(String text, int maxDepth, int maxChars) {
    if (text == null) {
      throw new JsonException("no text", -1);
    }
    if (text.length() > maxChars) {
      throw new JsonException("text of " + text.length() + " characters exceeds " + maxChars, -1);
    }
    Reader r = new Reader(text, maxDepth);
    r.skipWs();
    Object v = r.value(0);
    r.skipWs();
    if (r.pos != text.length()) {
      throw new JsonException("unexpected text after the value", r.pos);
    }
    return v;
  }

  private static final class Reader {
    final String s;
    final int maxDepth;
    int pos;

    Reader(String s, int maxDepth) {
      this.s = s;
      this.maxDepth = maxDepth;
    }

    void skipWs() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          pos++;
        } else {
          break;
        }
      }
    }

    JsonException err(String m) {
      return new JsonException(m, pos);
    }

    Object value(int depth) {
      if (pos >= s.length()) {
        throw err("unexpected end of text");
      }
      char c = s.charAt(pos);
      switch (c) {
        case '{':
          return object(depth + 1);
        case '[':
          return array(depth + 1);
        case '"':
          return string();
        case 't':
          literal("true");
          return Boolean.TRUE;
        case 'f':
          literal("false");
          return Boolean.FALSE;
        case 'n':
          literal("null");
          return null;
        default:
          if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
          }
          throw err("unexpected character '" + c + "'");
      }
    }

    void literal(String word) {
      if (!s.startsWith(word, pos)) {
        throw err("expected " + word);
      }
      pos += word.length();
    }

    Map<String, Object> object(int depth) {
      if (depth > maxDepth) {
        throw err("nesting deeper than " + maxDepth);
      }
      pos++; // {
      Map<String, Object> m = new LinkedHashMap<>();
      skipWs();
      if (pos < s.length() && s.charAt(pos) == '}') {
        pos++;
        return m;
      }
      while (true) {
        skipWs();
        if (pos >= s.length() || s.charAt(pos) != '"') {
          throw err("expected a string key");
        }
        int keyAt = pos;
        String k = string();
        skipWs();
        if (pos >= s.length() || s.charAt(pos) != ':') {
          throw err("expected ':'");
        }
        pos++;
        skipWs();
        Object v = value(depth);
        if (m.containsKey(k)) {
          throw new JsonException("repeated key \"" + k + "\"", keyAt);
        }
        m.put(k, v);
        skipWs();
        if (pos >= s.length()) {
          throw err("unexpected end of text in an object");
        }
        char c = s.charAt(pos++);
        if (c == '}') {
          return m;
        }
        if (c != ',') {
          pos--;
          throw err("expected ',' or '}'");
        }
      }
    }

    List<Object> array(int depth) {
      if (depth > maxDepth) {
        throw err("nesting deeper than " + maxDepth);
      }
      pos++; // [
      List<Object> l = new ArrayList<>();
      skipWs();
      if (pos < s.length() && s.charAt(pos) == ']') {
        pos++;
        return l;
      }
      while (true) {
        skipWs();
        l.add(value(depth));
        skipWs();
        if (pos >= s.length()) {
          throw err("unexpected end of text in an array");
        }
        char c = s.charAt(pos++);
        if (c == ']') {
          return l;
        }
        if (c != ',') {
          pos--;
          throw err("expected ',' or ']'");
        }
      }
    }

    String string() {
      pos++; // opening quote
      StringBuilder b = null;
      int start = pos;
      while (true) {
        if (pos >= s.length()) {
          throw err("unterminated string");
        }
        char c = s.charAt(pos);
        if (c == '"') {
          String out = b == null ? s.substring(start, pos) : b.append(s, start, pos).toString();
          pos++;
          return out;
        }
        if (c < 0x20) {
          throw err("control character in a string");
        }
        if (c == '\\') {
          if (b == null) {
            b = new StringBuilder();
          }
          b.append(s, start, pos);
          pos++;
          if (pos >= s.length()) {
            throw err("unterminated escape");
          }
          char e = s.charAt(pos++);
          switch (e) {
            case '"':
              b.append('"');
              break;
            case '\\':
              b.append('\\');
              break;
            case '/':
              b.append('/');
              break;
            case 'b':
              b.append('\b');
              break;
            case 'f':
              b.append('\f');
              break;
            case 'n':
              b.append('\n');
              break;
            case 'r':
              b.append('\r');
              break;
            case 't':
              b.append('\t');
              break;
            case 'u':
              if (pos + 4 > s.length()) {
                throw err("short \\u escape");
              }
              int cp = 0;
              for (int i = 0; i < 4; i++) {
                int d = Character.digit(s.charAt(pos + i), 16);
                if (d < 0) {
                  throw err("bad \\u escape");
                }
                cp = cp * 16 + d;
              }
              pos += 4;
              b.append((char) cp);
              break;
            default:
              pos--;
              throw err("bad escape '\\" + e + "'");
          }
          start = pos;
        } else {
          pos++;
        }
      }
    }

    Object number() {
      int start = pos;
      if (s.charAt(pos) == '-') {
        pos++;
      }
      if (pos >= s.length()) {
        throw err("bad number");
      }
      if (s.charAt(pos) == '0') {
        pos++;
      } else if (s.charAt(pos) >= '1' && s.charAt(pos) <= '9') {
        while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
          pos++;
        }
      } else {
        throw err("bad number");
      }
      boolean integral = true;
      if (pos < s.length() && s.charAt(pos) == '.') {
        integral = false;
        pos++;
        int d = pos;
        while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
          pos++;
        }
        if (pos == d) {
          throw err("bad fraction");
        }
      }
      if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
        integral = false;
        pos++;
        if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
          pos++;
        }
        int d = pos;
        while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
          pos++;
        }
        if (pos == d) {
          throw err("bad exponent");
        }
      }
      String t = s.substring(start, pos);
      if (t.length() > 400) {
        throw new JsonException("number longer than 400 characters", start);
      }
      if (integral) {
        BigInteger bi = new BigInteger(t);
        return bi.bitLength() < 64 ? (Object) bi.longValue() : bi;
      }
      BigDecimal bd = new BigDecimal(t);
      double d = bd.doubleValue();
      if (Double.isInfinite(d)) {
        return bd;
      }
      return d;
    }
  }

  // ---- writing ----

  /** Writes a value as compact JSON. */
  public static String write(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, 0);
    return b.toString();
  }

  private static void write(StringBuilder b, Object v, int depth) {
    if (depth > DEFAULT_MAX_DEPTH) {
      throw new JsonException("value nests deeper than " + DEFAULT_MAX_DEPTH, -1);
    }
    if (v == null) {
      b.append("null");
    } else if (v instanceof CharSequence) {
      quote(b, v.toString());
    } else if (v instanceof Boolean) {
      b.append(v.toString());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new JsonException("not a JSON number: " + d, -1);
      }
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        b.append((long) d);
      } else {
        b.append(d);
      }
    } else if (v instanceof BigDecimal) {
      b.append(((BigDecimal) v).toString());
    } else if (v instanceof Number) {
      b.append(v.toString());
    } else if (v instanceof Map) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        quote(b, String.valueOf(e.getKey()));
        b.append(':');
        write(b, e.getValue(), depth + 1);
      }
      b.append('}');
    } else if (v instanceof Iterable) {
      b.append('[');
      boolean first = true;
      for (Object o : (Iterable<?>) v) {
        if (!first) {
          b.append(',');
        }
        first = false;
        write(b, o, depth + 1);
      }
      b.append(']');
    } else if (v instanceof Object[]) {
      write(b, java.util.Arrays.asList((Object[]) v), depth);
    } else if (v instanceof Enum || v instanceof Instant || v instanceof OffsetDateTime
        || v instanceof Duration || v instanceof Character) {
      quote(b, v.toString());
    } else {
      throw new JsonException("cannot write a " + v.getClass().getName() + " as JSON", -1);
    }
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          b.append("\\\"");
          break;
        case '\\':
          b.append("\\\\");
          break;
        case '\n':
          b.append("\\n");
          break;
        case '\r':
          b.append("\\r");
          break;
        case '\t':
          b.append("\\t");
          break;
        case '\b':
          b.append("\\b");
          break;
        case '\f':
          b.append("\\f");
          break;
        default:
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    b.append('"');
  }

  // ---- reading helpers ----

  /** Casts a parsed value to an object (empty map for null). */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> asMap(Object v) {
    if (v == null) {
      return Collections.emptyMap();
    }
    if (!(v instanceof Map)) {
      throw new JsonException("expected a JSON object, got " + v.getClass().getSimpleName(), -1);
    }
    return (Map<String, Object>) v;
  }

  /** Casts a parsed value to an array (empty list for null). */
  @SuppressWarnings("unchecked")
  public static List<Object> asList(Object v) {
    if (v == null) {
      return Collections.emptyList();
    }
    if (!(v instanceof List)) {
      throw new JsonException("expected a JSON array, got " + v.getClass().getSimpleName(), -1);
    }
    return (List<Object>) v;
  }

  /** The string at {@code key}, or null when absent or not a string. */
  public static String str(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v instanceof String ? (String) v : null;
  }

  /** The integer at {@code key}, or {@code dflt} when absent or not a number. */
  public static long num(Map<String, Object> m, String key, long dflt) {
    Object v = m.get(key);
    return v instanceof Number ? ((Number) v).longValue() : dflt;
  }

  /** The number at {@code key}, or {@code dflt}. */
  public static double dbl(Map<String, Object> m, String key, double dflt) {
    Object v = m.get(key);
    return v instanceof Number ? ((Number) v).doubleValue() : dflt;
  }

  /** The boolean at {@code key}, or {@code dflt}. */
  public static boolean bool(Map<String, Object> m, String key, boolean dflt) {
    Object v = m.get(key);
    return v instanceof Boolean ? (Boolean) v : dflt;
  }

  /** A map of the given key/value pairs, in order, leaving out null values. */
  public static Map<String, Object> obj(Object... kv) {
    if (kv.length % 2 != 0) {
      throw new IllegalArgumentException("key/value pairs expected");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i + 1] != null) {
        m.put(String.valueOf(kv[i]), kv[i + 1]);
      }
    }
    return m;
  }
}

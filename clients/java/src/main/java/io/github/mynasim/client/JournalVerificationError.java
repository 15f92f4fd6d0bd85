// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.util.List;

/** {@link Journal#verify} found another count than expected; carries the entries it found. */
public final class JournalVerificationError extends AssertionError {
  private static final long serialVersionUID = 1L;
  private final long expected;
  private final long actual;
  private final transient List<JournalEntry> found;

  JournalVerificationError(String expectation, long expected, long actual, JournalFilter filter, List<JournalEntry> found) {
    super(message(expectation, actual, filter, found));
    this.expected = expected;
    this.actual = actual;
    this.found = List.copyOf(found);
  }

  private static String message(String expectation, long actual, JournalFilter filter, List<JournalEntry> found) {
    StringBuilder b = new StringBuilder("expected ").append(expectation).append(" journal entries matching ")
        .append(filter).append(", found ").append(actual);
    if (!found.isEmpty()) {
      b.append(':');
      for (JournalEntry e : found) {
        b.append("\n  ").append(e);
      }
      if (actual > found.size()) {
        b.append("\n  … (").append(actual - found.size()).append(" more)");
      }
    }
    return b.toString();
  }

  public long expected() {
    return expected;
  }

  public long actual() {
    return actual;
  }

  /** The entries found (at most {@link Journal#VERIFY_SHOWN}). */
  public List<JournalEntry> found() {
    return found;
  }
}

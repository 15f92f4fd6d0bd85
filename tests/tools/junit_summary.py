#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reads a JUnit XML report (as a CI system would) and prints a JSON summary:
{"tests": N, "failures": F, "skipped": S, "errors": E, "cases": {name: pass|fail|skipped|error}}.
Exit 2 when the file is not a JUnit report."""
import json
import sys
import xml.etree.ElementTree as ET


def main(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 2
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if root.tag not in ("testsuite", "testsuites") or not suites:
        print(f"{path}: not a JUnit report (root <{root.tag}>)", file=sys.stderr)
        return 2
    cases = {}
    for suite in suites:
        for case in suite.findall("testcase"):
            verdict = "pass"
            for tag, name in (("failure", "fail"), ("error", "error"), ("skipped", "skipped")):
                if case.find(tag) is not None:
                    verdict = name
            cases[case.get("name")] = verdict
    total = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "skipped", "errors")}
    print(json.dumps({**total, "cases": cases}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

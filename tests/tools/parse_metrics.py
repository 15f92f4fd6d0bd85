#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Parses a Prometheus text exposition on stdin with the reference client's parser
(python3-prometheus-client) and prints one line per sample: name{labels} value.
Exits 1 when the page does not parse."""
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    families = list(text_string_to_metric_families(sys.stdin.read()))
except Exception as e:  # the parser's own error, as the test's failure message
    print(f"unparsable: {e}", file=sys.stderr)
    sys.exit(1)
for family in families:
    for sample in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
        print(f"{sample.name}{{{labels}}} {sample.value}")

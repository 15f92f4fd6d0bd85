#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The contract check is not lenient: a log with deliberately broken responses fails it, and the
same log with them mended passes. usage: contract_selftest.py CHECKER API_YAML ADMIN_YAML"""
import json
import os
import subprocess
import sys
import tempfile

checker, api, admin = sys.argv[1:4]
good_request = {"kind": "response", "method": "POST", "target": "/online-resource-web/request", "status": 200,
                "content_type": "application/json", "location": "", "faults": "",
                "body": json.dumps({"commonHeader": {"telegramId": "TL-00000086-261127123456-0001", "telegramType": "IFA0301-S01",
                                                     "mode": "1", "processId": "44158900078171657950", "errorCode": ""}})}
good_token = {"kind": "response", "method": "POST", "target": "/online-authorization-web/oauth/token", "status": 200,
              "content_type": "application/json; charset=utf-8", "location": "", "faults": "",
              "body": json.dumps({"access_token": "M9nQyntN7AQU1Y3Dh9m7JGudUO266vTzWthrLXqSrI8PN823", "token_type": "Bearer",
                                  "expires_in": 3600})}
good_notification = {"kind": "notification", "method": "POST", "target": "/myna/notify", "answered": 200,
                     "body": json.dumps({"commonHeader": {"telegramId": "TL-00000086-261127123456-0001", "telegramType": "IFA0302-R01",
                                                          "mode": "1", "processId": "44158900078171657950", "errorCode": ""}})}
broken = [dict(good_request, body=json.dumps({"commonHeader": {"telegramId": "x", "telegramType": "IFA0301-S01", "errorCode": ""}})),
          dict(good_token, body=json.dumps({"access_token": "M9nQyntN7AQU1Y3Dh9m7JGud", "token_type": "bearer", "expires_in": 3600})),
          dict(good_notification, body=json.dumps({"commonHeader": {"telegramType": "IFA0302-R01"}})),
          dict(good_request, status=418)]


def run(records):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    try:
        p = subprocess.run(["/usr/bin/python3", checker, f.name, api, admin], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr
    finally:
        os.unlink(f.name)


code, out = run(broken)
print(out)
expected = ["'processId' is a required property", "'Bearer' was expected", "IF001-05 notification", "'errorMessage' is a required property"]
missing = [e for e in expected if e not in out]
if code != 1 or missing:
    print(f"selftest: broken responses were not all caught (exit {code}; not reported: {missing})", file=sys.stderr)
    sys.exit(1)
code, out = run([good_request, good_token, good_notification])
print(out)
if code != 0:
    print("selftest: well-formed responses were refused", file=sys.stderr)
    sys.exit(1)
print("selftest: 4 broken exchanges caught, 3 good ones passed")

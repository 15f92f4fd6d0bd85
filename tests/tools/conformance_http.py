#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drives an API user's sample app through a conformance run with nothing but an HTTP client
that follows redirects and keeps cookies — no browser: the run was started with
complete_screens, so the portal answers the app's own authorize with the redirect at once.
For each test the run announces, it posts the app's start form with the test's query method
and follows the redirects back to the app; the run judges, from the journal.

  conformance_http.py --admin URL --app URL --client-id ID --ca FILE [--out DIR]

With --out, the app's page as the person sees it once each test is over is kept as
DIR/<test>.html.

Follows the run that is (or soon will be) running for that service; exits 0 once the run is no
longer running, printing one line per test.
"""
import argparse
import http.cookiejar
import json
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def main():
    p = argparse.ArgumentParser()
    for name in ("--admin", "--app", "--client-id", "--ca"):
        p.add_argument(name, required=True)
    p.add_argument("--out")
    args = p.parse_args()
    run_id = None
    for _ in range(200):  # the run `mynasim conformance run` starts (up to 30 s)
        runs = get_json(f"{args.admin}/__admin/conformance/runs")["runs"]
        running = [r for r in runs if r["client_id"] == args.client_id and r["state"] == "running"]
        if running:
            run_id = running[0]["id"]
            break
        time.sleep(0.15)
    if not run_id:
        print(f"no conformance run for {args.client_id}", file=sys.stderr)
        return 1
    status = lambda: get_json(f"{args.admin}/__admin/conformance/runs/{run_id}")
    tls = ssl.create_default_context(cafile=args.ca)
    handled = -1
    deadline = time.monotonic() + 20 * 60
    while time.monotonic() < deadline:
        run = status()
        if run["state"] != "running":
            break
        test = run.get("current")
        if not test or test["index"] == handled:
            time.sleep(0.15)
            continue
        handled = test["index"]
        print(f"[{test['index'] + 1}/{len(run['tests'])}] {test['name']}: {test['action']}", flush=True)
        if test["action"] == "none":
            continue
        # A fresh cookie jar per test, as a fresh browser session would be.
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.HTTPSHandler(context=tls),
        )
        form = urllib.parse.urlencode({"method": test.get("query_method") or "date"}).encode()
        try:
            with opener.open(f"{args.app}/start", data=form, timeout=15) as r:
                print(f"  → {r.status} {r.geturl()}", flush=True)
        except urllib.error.HTTPError as e:  # the app's own error page (e.g. a refused state)
            print(f"  → {e.code} {e.geturl()}", flush=True)
        except OSError as e:
            print(f"  driver: {e}", flush=True)
        for _ in range(200):  # the test ends by itself
            now = status()
            if now["state"] != "running" or (now.get("current") or {}).get("index") != test["index"]:
                break
            time.sleep(0.15)
        if args.out:  # the page the person now sees, with this test's session cookie
            name = "".join(c if c.isalnum() or c == "-" else "_" for c in test["name"])
            try:
                with opener.open(f"{args.app}/", timeout=15) as r:
                    page = r.read()
            except OSError as e:
                page = f"driver: {e}".encode()
            with open(f"{args.out}/{name}.html", "wb") as f:
                f.write(page)
    run = status()
    for t in run["tests"]:
        print(f"{t['verdict']:<8} {t['name']}: {t['detail']}")
    if run["state"] == "running":
        print("driver: the run did not finish in time")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

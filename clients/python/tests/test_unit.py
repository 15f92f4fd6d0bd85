# SPDX-License-Identifier: Apache-2.0
"""Unit tests: no simulator (a fake admin listener where HTTP is needed)."""
from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import stat
import threading

import pytest

import mynasim
from mynasim import testcontainers as tc
from mynasim.client import raise_for_status
from mynasim._http import Response, join


def test_versions():
    assert mynasim.parse_version("0.1.0") == (0, 1, 0)
    assert mynasim.parse_version("v0.1") == (0, 1, 0)
    assert mynasim.parse_version("0.1.3-dev+abc") == (0, 1, 3)
    assert mynasim.is_supported_version("0.1.9")
    assert not mynasim.is_supported_version("0.2.0")
    assert not mynasim.is_supported_version("1.0.0")
    assert not mynasim.is_supported_version("banana")
    with pytest.raises(mynasim.UnsupportedVersionError) as e:
        mynasim.check_version("0.2.0")
    assert e.value.version == "0.2.0" and e.value.supported == mynasim.SUPPORTED_VERSIONS


def test_durations_and_instants():
    assert mynasim.iso_duration("PT2H") == "PT2H"
    assert mynasim.iso_duration(dt.timedelta(hours=2, minutes=30)) == "PT2H30M"
    assert mynasim.iso_duration(dt.timedelta(days=1, seconds=5)) == "P1DT5S"
    assert mynasim.iso_duration(dt.timedelta(0)) == "PT0S"
    assert mynasim.iso_duration(dt.timedelta(seconds=1.5)) == "PT1.5S"
    t = dt.datetime(2026, 12, 29, 10, 0, tzinfo=mynasim.JST)
    assert mynasim.iso_instant(t) == "2026-12-29T10:00:00+09:00"
    with pytest.raises(ValueError):
        mynasim.iso_instant(dt.datetime(2026, 12, 29))
    assert mynasim.parse_instant("2026-12-29T01:00:00Z") == t
    assert mynasim.parse_instant("2026-12-29T10:00:00.250+09:00").microsecond == 250000


def test_pkce_pair():
    import base64
    import hashlib
    v, c = mynasim.pkce_pair()
    assert 43 <= len(v) <= 128
    assert c == base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b"=").decode()


def test_authorize_redirect_parsing():
    a = mynasim.parse_authorize_redirect("http://localhost:3000/callback?code=abc&state=xyz",
                                         client_id="C", redirect_uri="R")
    assert (a.code, a.state, a.client_id) == ("abc", "xyz", "C")
    with pytest.raises(mynasim.AuthorizationError) as e:
        mynasim.parse_authorize_redirect(
            "http://x/cb?error=access_denied&error_description=%E5%88%A9&error_code=MPE1101&state=s")
    assert e.value.error == "access_denied" and e.value.error_code == "MPE1101"
    assert e.value.state == "s" and e.value.description == "利"
    with pytest.raises(mynasim.AuthorizationError) as e:
        mynasim.parse_authorize_redirect("http://x/cb?code=access_denied&state=s")
    assert e.value.error == "access_denied"
    with pytest.raises(mynasim.AuthorizationError):
        mynasim.parse_authorize_redirect("http://x/cb")


def test_api_errors_are_typed():
    r = Response(400, {}, json.dumps({"error": "invalid_fault", "message": "kind: unknown"}).encode(), "u")
    with pytest.raises(mynasim.ApiError) as e:
        raise_for_status(r, "POST")
    assert (e.value.status, e.value.error, e.value.message) == (400, "invalid_fault", "kind: unknown")
    r = Response(400, {}, b'{"error":"invalid_grant","error_description":"d","errorCode":"MPE2002"}')
    with pytest.raises(mynasim.ApiError) as e:
        raise_for_status(r)
    assert e.value.message == "d"
    with pytest.raises(mynasim.ApiError) as e:
        raise_for_status(Response(502, {}, b"bad gateway"))
    assert e.value.error is None and e.value.message == "bad gateway"
    raise_for_status(Response(204, {}, b""))


def test_join_drops_none_and_encodes():
    assert join("http://h/", "/a", {"x": None, "y": "a b", "z": True}) == "http://h/a?y=a+b&z=1"


def test_verification_error_lists_entries():
    e = mynasim.VerificationError("exactly 1", 2, {"system": "juki"}, [
        {"seq": 1, "at": "t", "direction": "in", "system": "juki", "method": "POST",
         "path": "/systems/juki/identify", "status": 200}] * 2)
    assert isinstance(e, AssertionError)
    assert "expected exactly 1" in str(e) and "/systems/juki/identify" in str(e)


def test_container_urls_and_command():
    urls = tc.container_urls("localhost", {8443: "32768", 9443: 32769, 8081: 32770, 8090: 32771})
    assert urls == {"app": "https://localhost:32768", "sp": "https://localhost:32769",
                    "admin": "http://localhost:32770", "systems": "http://localhost:32771"}
    assert tc.container_urls("::1", {8081: 1})["admin"] == "http://[::1]:1"
    assert tc.serve_command(scenario="scenarios/third-weekend.yaml", api_users=["http://h:4000"]) == [
        "serve", "--host", "0.0.0.0", "--scenario", "scenarios/third-weekend.yaml",
        "--api-user", "http://h:4000"]


def test_container_class_needs_testcontainers():
    try:
        import testcontainers  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError):
            tc.MynasimContainer  # noqa: B018
    with pytest.raises(AttributeError):
        tc.NoSuchThing  # noqa: B018


def test_wait_ready_fake_getter():
    answers = iter([OSError("refused"), 503, 200])

    def get(url):
        assert url == "http://h:1/readyz"
        a = next(answers)
        if isinstance(a, Exception):
            raise a
        return a
    tc.wait_ready("http://h:1/", timeout=5, interval=0.01, get=get)
    with pytest.raises(mynasim.WaitTimeout, match="last: HTTP 503"):
        tc.wait_ready("http://h:1", timeout=0.05, interval=0.01, get=lambda u: 503)


class _FakeAdmin:
    """A tiny admin listener: /readyz turns ready on the 3rd call; /__admin/health says a version."""

    def __init__(self, version="0.1.0"):
        self.calls = []
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Mynasim-Virtual-Time", "2026-12-29T10:00:00+09:00")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.calls.append((self.path, self.headers.get("Authorization")))
                if self.path == "/readyz":
                    n = sum(1 for p, _ in fake.calls if p == "/readyz")
                    self._send(200 if n >= 3 else 503, {"status": "ready" if n >= 3 else "not ready"})
                elif self.path == "/__admin/health":
                    self._send(200, {"status": "ok", "version": version})
                else:
                    self._send(404, {"error": "not_found", "message": "no route"})

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_wait_ready_real_http():
    fake = _FakeAdmin()
    try:
        tc.wait_ready(fake.url, timeout=5, interval=0.01)
        assert [p for p, _ in fake.calls] == ["/readyz"] * 3
    finally:
        fake.close()


def test_connect_checks_version_and_sends_token():
    fake = _FakeAdmin("0.2.0")
    try:
        with pytest.raises(mynasim.UnsupportedVersionError):
            mynasim.connect(fake.url, token="t0k")
        assert fake.calls[-1] == ("/__admin/health", "Bearer t0k")
    finally:
        fake.close()
    fake = _FakeAdmin("0.1.4")
    try:
        sim = mynasim.from_env({"MYNASIM_ADMIN_URL": fake.url, "MYNASIM_ADMIN_TOKEN": "x"})
        assert sim.version == "0.1.4" and sim.token == "x" and sim.process is None
        assert sim.last_virtual_time == "2026-12-29T10:00:00+09:00"
        with pytest.raises(mynasim.ApiError) as e:
            sim.clock.get()
        assert (e.value.status, e.value.error) == (404, "not_found")
        sim.close()  # connected, nothing to stop
    finally:
        fake.close()


def _script(tmp_path, name, body):
    p = tmp_path / name
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return str(p)


def test_start_errors_carry_the_log_tail(tmp_path):
    with pytest.raises(mynasim.StartError, match="not found"):
        mynasim.find_binary(str(tmp_path / "nope"))
    bad = _script(tmp_path, "bad", "echo 'configuration error: x.yaml:1:1: boom'\nexit 2\n")
    with pytest.raises(mynasim.StartError) as e:
        mynasim.start_process(bad, ready_timeout=5)
    assert "status 2" in str(e.value) and "boom" in e.value.log_tail
    slow = _script(tmp_path, "slow", "echo waiting forever\nexec sleep 30\n")
    with pytest.raises(mynasim.StartError) as e:
        mynasim.start_process(slow, ready_timeout=0.3)
    assert "not ready within" in str(e.value) and "waiting forever" in e.value.log_tail


def test_start_reads_the_ready_file(tmp_path):
    # A stand-in that writes a ready file like mynasim's and waits for SIGTERM.
    fake = _script(tmp_path, "fake", """
while [ $# -gt 0 ]; do [ "$1" = --ready-file ] && f=$2; shift; done
echo '{"urls":{"admin":"http://127.0.0.1:1"},"version":"0.1.0","pid":1}' > "$f"
trap 'exit 0' TERM
while :; do sleep 0.05; done
""")
    p = mynasim.start_process(fake, ready_timeout=5)
    assert p.ready["version"] == "0.1.0" and p.running()
    assert p.stop(timeout=5) == 0
    assert not os.path.exists(p.workdir)


def test_journal_filters_are_checked():
    with pytest.raises(TypeError, match="colour"):
        mynasim.Journal._filters({"colour": "red"})

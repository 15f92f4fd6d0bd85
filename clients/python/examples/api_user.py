# SPDX-License-Identifier: Apache-2.0
"""A small API-user client of 自己情報取得API (IF001-03/04/05/06), standard library only.

It is what a bank or fintech would write against the real portal; the tests in
``test_if001_flow.py`` run it against mynasim.
"""
from __future__ import annotations

import datetime as dt
import http.server
import itertools
import json
import ssl
import threading
import time
import urllib.parse
import urllib.request
from typing import Any

JST = dt.timezone(dt.timedelta(hours=9))
STILL_PROCESSING = "MPE3008"


class PortalError(Exception):
    """An IF001 answer with an errorCode (or a non-2xx status)."""

    def __init__(self, status: int, error_code: str, message: str, body: Any) -> None:
        super().__init__(f"HTTP {status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.body = body


class ApiUserClient:
    """IF001-03 token, IF001-04 request, IF001-06 result for one service (client_id)."""

    def __init__(self, sp_url: str, client_id: str, redirect_uri: str, ca_file: str | None,
                 timeout: float = 10.0) -> None:
        self.sp_url = sp_url.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=ca_file)
        self.provider_digits = client_id[2:10]  # SP00000086_AA0003 -> 00000086
        self._seq = itertools.count(1)

    def _post(self, path: str, data: bytes, content_type: str,
              token: str | None = None) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(self.sp_url + path, data=data, method="POST",
                                     headers={"Content-Type": content_type})
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.ctx) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return e.code, json.loads(body or b"{}")
            except ValueError:
                return e.code, {"raw": body.decode("utf-8", "replace")}

    def token(self, code: str, code_verifier: str | None = None) -> str:
        """IF001-03: the authorization code → an access token."""
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.redirect_uri, "client_id": self.client_id}
        if code_verifier:
            form["code_verifier"] = code_verifier
        status, body = self._post("/online-authorization-web/oauth/token",
                                  urllib.parse.urlencode(form).encode(),
                                  "application/x-www-form-urlencoded")
        if status != 200:
            raise PortalError(status, body.get("errorCode", ""), body.get("error_description", ""), body)
        return body["access_token"]

    def new_telegram_id(self) -> str:
        """TL-<8 provider digits>-<YYMMDDhhmmss JST>-<4 digits>, new for every request."""
        stamp = dt.datetime.now(JST).strftime("%y%m%d%H%M%S")
        return f"TL-{self.provider_digits}-{stamp}-{next(self._seq) % 10000:04d}"

    def request(self, token: str, inquiry: str = "Latest") -> tuple[str, str]:
        """IF001-04; returns (telegramId, processId). Raises PortalError on an errorCode."""
        tid = self.new_telegram_id()
        telegram = {"commonHeader": {"telegramId": tid, "telegramType": "IFA0301-R01", "mode": "1",
                                     "processId": "", "errorCode": ""},
                    "selfProvisionDataReqInfo": {"inquiryCondition": inquiry}}
        # Compact JSON: mynasim 0.1.0's conformance judge reads inquiryCondition only without a
        # space after the colon (the portal itself accepts both).
        body_bytes = json.dumps(telegram, separators=(",", ":")).encode()
        status, body = self._post("/online-resource-web/request", body_bytes, "application/json", token)
        header = body.get("commonHeader", {})
        if status != 200 or header.get("errorCode"):
            raise PortalError(status, header.get("errorCode", ""), body.get("errorMessage", ""), body)
        return tid, header["processId"]

    def result(self, token: str, telegram_id: str, process_id: str) -> dict[str, Any]:
        """IF001-06 once; the whole answer (errorCode MPE3008 while not ready)."""
        telegram = {"commonHeader": {"telegramId": telegram_id, "telegramType": "IFA0303-R01",
                                     "mode": "1", "processId": process_id, "errorCode": ""}}
        status, body = self._post("/online-resource-web/result", json.dumps(telegram, separators=(",", ":")).encode(),
                                  "application/json", token)
        if status != 200:
            h = body.get("commonHeader", {})
            raise PortalError(status, h.get("errorCode", ""), body.get("errorMessage", ""), body)
        return body

    def poll_result(self, token: str, telegram_id: str, process_id: str, *, first_delay: float = 0.2,
                    max_delay: float = 2.0, max_wait: float = 20.0) -> dict[str, Any]:
        """IF001-06 with a bounded exponential back-off, until it is no longer MPE3008."""
        deadline = time.monotonic() + max_wait
        delay = first_delay
        while True:
            answer = self.result(token, telegram_id, process_id)
            if answer["commonHeader"].get("errorCode") != STILL_PROCESSING:
                return answer
            if time.monotonic() + delay > deadline:
                raise TimeoutError(f"result {process_id} not ready within {max_wait:g} s")
            time.sleep(delay)
            delay = min(delay * 2, max_delay)


def personal_data(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """selfPersonalData is a JSON string: one object per providing body."""
    text = answer.get("selfPersonalDataProvisionInfo", {}).get("selfPersonalData") or "[]"
    return json.loads(text)


class NotificationReceiver:
    """An IF001-05 endpoint on 127.0.0.1 (a free port): acknowledges with IFA0302-S01 at once and
    remembers every notification."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                try:
                    telegram = json.loads(self.rfile.read(n) or b"{}")
                except ValueError:
                    telegram = {}
                header = dict(telegram.get("commonHeader") or {})
                ack = json.dumps({"commonHeader": {**header, "telegramType": "IFA0302-S01",
                                                   "errorCode": ""}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(ack)))
                self.end_headers()
                self.wfile.write(ack)
                with receiver._cond:
                    receiver.received.append(telegram)
                    receiver._cond.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/myna/notify"

    def __enter__(self) -> "NotificationReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, process_id: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t in self.received:
                    if t.get("commonHeader", {}).get("processId") == process_id:
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no IF001-05 notification for {process_id} in {timeout:g} s")
                self._cond.wait(left)

# SPDX-License-Identifier: Apache-2.0
"""Bounded HTTP(S) calls with the standard library only.

Every call has a timeout, never follows redirects, trusts the simulator's CA for
https URLs (SNI is the URL's host name) and records the ``Mynasim-Virtual-Time``
header of every answer.
"""
from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping

DEFAULT_TIMEOUT = 10.0
VIRTUAL_TIME_HEADER = "Mynasim-Virtual-Time"


@dataclass
class Response:
    """One HTTP answer: status, headers (lower-case names) and the raw body."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Transport:
    """Sends requests; one instance per simulator (it holds the TLS context)."""

    ca_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    last_virtual_time: str | None = field(default=None, init=False)
    _ctx: ssl.SSLContext | None = field(default=None, init=False, repr=False)

    def ssl_context(self) -> ssl.SSLContext:
        if self._ctx is None:
            ctx = ssl.create_default_context(cafile=self.ca_file) if self.ca_file \
                else ssl.create_default_context()
            ctx.check_hostname = True
            ctx.verify_mode = ssl.CERT_REQUIRED
            self._ctx = ctx
        return self._ctx

    def request(self, method: str, url: str, *, body: bytes | str | None = None,
                json_body: Any = None, headers: Mapping[str, str] | None = None,
                timeout: float | None = None) -> Response:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        hdrs = {"Accept": "application/json"}
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode("utf-8")
        hdrs.update(headers or {})
        t = self.timeout if timeout is None else timeout
        host = parts.hostname
        port = parts.port
        if parts.scheme == "https":
            # server_hostname (SNI and the name checked) is the URL's host.
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=t, context=self.ssl_context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=t)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            conn.request(method, target, body=body, headers=hdrs)
            raw = conn.getresponse()
            data = raw.read()
            resp = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data, url)
        finally:
            conn.close()
        vt = resp.header(VIRTUAL_TIME_HEADER)
        if vt:
            self.last_virtual_time = vt
        return resp


def join(base: str, path: str, query: Mapping[str, Any] | None = None) -> str:
    """``base`` (no trailing slash needed) + ``path`` + an encoded query without None values."""
    url = base.rstrip("/") + path
    if query:
        q = {k: _qv(v) for k, v in query.items() if v is not None}
        if q:
            url += "?" + urllib.parse.urlencode(q)
    return url


def _qv(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)

# SPDX-License-Identifier: Apache-2.0
"""The mynasim client: control a simulator (or one of its named worlds) through the admin API."""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import json
import os
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import _http
from .errors import (ApiError, AuthorizationError, MynasimError, UnsupportedVersionError,
                     VerificationError, WaitTimeout)
from .process import SimulatorProcess, start_process

#: The mynasim versions this client supports: major.minor 0.1 (>= 0.1.0, < 0.2.0).
SUPPORTED_VERSIONS = ">=0.1.0,<0.2.0"
_MIN = (0, 1, 0)
_MAX_EXCLUSIVE = (0, 2, 0)

DEFAULT_ADMIN_TOKEN = "dev-admin-token"

JOURNAL_FILTERS = ("system", "path", "status", "client_id", "telegram_id", "process_id",
                   "direction", "limit", "bodies")


def parse_version(version: str) -> tuple[int, int, int]:
    """``"0.1.0"`` / ``"0.1.0-dev+abc"`` / ``"v0.1"`` → (0, 1, 0). ValueError when not a version."""
    v = version.strip().lstrip("v")
    for sep in "-+ ":
        v = v.split(sep, 1)[0]
    parts = v.split(".")
    if not parts or not all(p.isdigit() for p in parts) or len(parts) > 3:
        raise ValueError(f"not a version: {version!r}")
    nums = [int(p) for p in parts] + [0] * (3 - len(parts))
    return nums[0], nums[1], nums[2]


def is_supported_version(version: str) -> bool:
    try:
        v = parse_version(version)
    except ValueError:
        return False
    return _MIN <= v < _MAX_EXCLUSIVE


def check_version(version: str) -> str:
    """Raise UnsupportedVersionError unless ``version`` is in SUPPORTED_VERSIONS."""
    if not is_supported_version(version):
        raise UnsupportedVersionError(version, SUPPORTED_VERSIONS)
    return version


def iso_duration(value: str | _dt.timedelta) -> str:
    """A timedelta (or an ISO-8601 duration string, passed through) → ``PT…``."""
    if isinstance(value, str):
        return value
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = sign + "P"
    if days:
        out += f"{int(days)}D"
    time_part = ""
    if hours:
        time_part += f"{int(hours)}H"
    if minutes:
        time_part += f"{int(minutes)}M"
    if seconds or not (days or hours or minutes):
        time_part += (f"{seconds:g}" if seconds != int(seconds) else f"{int(seconds)}") + "S"
    if time_part:
        out += "T" + time_part
    return out


def iso_instant(value: str | _dt.datetime) -> str:
    """A timezone-aware datetime (or a string, passed through) → RFC 3339."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("give a timezone-aware datetime (e.g. tzinfo=mynasim.JST)")
    return value.isoformat()


def parse_instant(text: str) -> _dt.datetime:
    """RFC 3339 (``2026-12-29T10:00:00+09:00``, ``…Z``, fractions) → aware datetime."""
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(t)


JST = _dt.timezone(_dt.timedelta(hours=9), "JST")


def pkce_pair() -> tuple[str, str]:
    """A fresh (code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class Authorization:
    """The outcome of a successful non-interactive authorize: the code for IF001-03."""

    code: str
    state: str | None
    client_id: str
    redirect_uri: str
    code_verifier: str | None = None
    location: str = ""


def parse_authorize_redirect(location: str, *, status: int = 302, client_id: str = "",
                             redirect_uri: str = "", code_verifier: str | None = None) -> Authorization:
    """The Location of authorize's 302 → Authorization, or AuthorizationError for ``error=``."""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query, keep_blank_values=True)
    one = {k: v[0] for k, v in q.items()}
    if "error" in one:
        raise AuthorizationError(one["error"], one.get("error_description"), one.get("error_code"),
                                 one.get("state"), status, location)
    code = one.get("code")
    if not code:
        raise AuthorizationError("no_code", f"redirect without code or error: {location}",
                                 status=status, location=location)
    if code == "access_denied":  # portal.error_redirect: code
        raise AuthorizationError("access_denied", None, None, one.get("state"), status, location)
    return Authorization(code, one.get("state"), client_id, redirect_uri, code_verifier, location)


class _Section:
    def __init__(self, client: "Mynasim") -> None:
        self._c = client


class Clock(_Section):
    """The world's virtual clock (Asia/Tokyo)."""

    def get(self) -> dict[str, Any]:
        """``{"now", "speed", "frozen", "timezone"}``."""
        return self._c.admin("GET", "/clock")

    def now(self) -> _dt.datetime:
        """The virtual now as an aware datetime (GET /__admin/clock)."""
        return parse_instant(self.get()["now"])

    def set(self, now: str | _dt.datetime | None = None, *, speed: float | None = None,
            frozen: bool | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if now is not None:
            body["now"] = iso_instant(now)
        if speed is not None:
            body["speed"] = speed
        if frozen is not None:
            body["frozen"] = frozen
        return self._c.admin("PUT", "/clock", body)

    def advance(self, by: str | _dt.timedelta) -> dict[str, Any]:
        """Move the clock by an ISO-8601 duration (``"PT2H"``) or a timedelta."""
        return self._c.admin("POST", "/clock/advance", {"by": iso_duration(by)})

    def freeze(self, at: str | _dt.datetime | None = None) -> dict[str, Any]:
        return self.set(at, frozen=True)

    def resume(self) -> dict[str, Any]:
        return self.set(frozen=False)

    def speed(self, factor: float) -> dict[str, Any]:
        return self.set(speed=factor)

    def wall(self) -> dict[str, Any]:
        """Follow the server's wall clock again (its now, speed 1, running)."""
        return self._c.admin("POST", "/clock/wall")


class Faults(_Section):
    """Fault injection (docs/api.md "Faults"). Keys as in the API; ``for_`` stands for ``for``."""

    @staticmethod
    def _spec(spec: Mapping[str, Any] | None, kw: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(spec or {})
        for k, v in kw.items():
            if v is not None:
                out["for" if k == "for_" else k] = v
        if "for" in out and isinstance(out["for"], _dt.timedelta):
            out["for"] = iso_duration(out["for"])
        return out

    def add(self, spec: Mapping[str, Any] | None = None, **kw: Any) -> str:
        """Add one fault, e.g. ``add(kind="http_error", target="japan-pension", status=500, count=3)``;
        returns its id."""
        return self._c.admin("POST", "/faults", self._spec(spec, kw))["ids"][0]

    def add_all(self, specs: Iterable[Mapping[str, Any]]) -> list[str]:
        """Add a list of faults, all or nothing; returns their ids."""
        return self._c.admin("POST", "/faults", [self._spec(s, {}) for s in specs])["ids"]

    def list(self) -> list[dict[str, Any]]:
        return self._c.admin("GET", "/faults")["faults"]

    def remove(self, fault_id: str) -> None:
        self._c.admin("DELETE", "/faults/" + _seg(fault_id))

    def clear(self) -> None:
        self._c.admin("DELETE", "/faults")


class Scenarios(_Section):
    def load(self, file: str | None = None, *, yaml: str | None = None) -> dict[str, Any]:
        """Start a scenario from a file in ``qa.scenarios_dir`` or from YAML text."""
        if (file is None) == (yaml is None):
            raise ValueError("give exactly one of file= or yaml=")
        if file is not None:
            return self._c.admin("POST", "/scenarios", {"file": file})
        return self._c.admin("POST", "/scenarios", raw=yaml, content_type="application/yaml")

    def current(self) -> dict[str, Any]:
        """The running scenario (``scenario`` is None when none), its steps, log, files available."""
        return self._c.admin("GET", "/scenarios")

    def stop(self) -> None:
        self._c.admin("DELETE", "/scenarios")


class Journal(_Section):
    """Every request into every system, the hops and the IF001-05 notifications."""

    @staticmethod
    def _filters(kw: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(kw) - set(JOURNAL_FILTERS)
        if unknown:
            raise TypeError(f"unknown journal filter(s): {', '.join(sorted(unknown))}")
        return dict(kw)

    def find(self, **filters: Any) -> list[dict[str, Any]]:
        """Entries, oldest first. Filters: system, path (prefix), status, client_id, telegram_id,
        process_id, direction ("in"/"out"), limit, bodies (False: without bodies)."""
        return self._c.admin("GET", "/requests", query=self._filters(filters))["requests"]

    def count(self, **filters: Any) -> int:
        """How many entries match (GET /__admin/requests/count), same filters as find."""
        return int(self._c.admin("GET", "/requests/count", query=self._filters(filters))["count"])

    def verify(self, expected: int | None = None, *, at_least: int | None = None,
               at_most: int | None = None, **filters: Any) -> int:
        """Like WireMock's verify: assert how many entries match; raise VerificationError with the
        entries found otherwise. Returns the count."""
        if expected is None and at_least is None and at_most is None:
            at_least = 1
        n = self.count(**filters)
        ok = (expected is None or n == expected) and (at_least is None or n >= at_least) \
            and (at_most is None or n <= at_most)
        if not ok:
            want = [f"exactly {expected}"] if expected is not None else []
            want += [f"at least {at_least}"] if at_least is not None else []
            want += [f"at most {at_most}"] if at_most is not None else []
            f = {k: v for k, v in filters.items() if k != "limit"}
            raise VerificationError(" and ".join(want), n, filters, self.find(**f, bodies=False))
        return n

    def clear(self) -> None:
        self._c.admin("DELETE", "/requests")

    def stats(self) -> dict[str, Any]:
        return self._c.admin("GET", "/requests/count")["journal"]


class Sheet(_Section):
    """services / connections / personas at runtime (PUT, PATCH as JSON merge patch, DELETE)."""

    def __init__(self, client: "Mynasim", section: str) -> None:
        super().__init__(client)
        self.section = section

    def list(self) -> list[dict[str, Any]]:
        return self._c.admin("GET", f"/{self.section}")[self.section]

    def get(self, entry_id: str) -> dict[str, Any]:
        return self._c.admin("GET", f"/{self.section}/{_seg(entry_id)}")

    def put(self, entry_id: str, entry: Mapping[str, Any] | str) -> dict[str, Any]:
        """Add or replace an entry (a dict, or YAML text as in the world files)."""
        if isinstance(entry, str):
            return self._c.admin("PUT", f"/{self.section}/{_seg(entry_id)}", raw=entry,
                                 content_type="application/yaml")
        return self._c.admin("PUT", f"/{self.section}/{_seg(entry_id)}", dict(entry))

    def patch(self, entry_id: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON merge patch of what get() shows (None removes a key)."""
        return self._c.admin("PATCH", f"/{self.section}/{_seg(entry_id)}", raw=json.dumps(patch),
                             content_type="application/merge-patch+json")

    def delete(self, entry_id: str) -> dict[str, Any]:
        return self._c.admin("DELETE", f"/{self.section}/{_seg(entry_id)}")


class Worlds(_Section):
    """Named worlds of one simulator (only on the simulator's own client, not inside a world)."""

    def create(self, id: str | None = None, *, ttl: str | _dt.timedelta | None = None,
               clock: str | _dt.datetime | None = None, bind: Sequence[str] | None = None,
               api_users: Sequence[str] | None = None) -> "World":
        """POST /__admin/worlds; returns a client bound to the new world (``world.delete()``)."""
        body: dict[str, Any] = {}
        if id is not None:
            body["id"] = id
        if ttl is not None:
            body["ttl"] = iso_duration(ttl)
        if clock is not None:
            body["clock"] = iso_instant(clock)
        if bind:
            body["bind"] = list(bind)
        if api_users:
            body["api_users"] = list(api_users)
        info = self._c.admin("POST", "/worlds", body)
        return World(self._c, info)

    def list(self) -> list[dict[str, Any]]:
        return self._c.admin("GET", "/worlds")["worlds"]

    def get(self, world_id: str) -> dict[str, Any]:
        return self._c.admin("GET", "/worlds/" + _seg(world_id))

    def open(self, world_id: str, token: str | None = None) -> "World":
        """A client for an existing world (its token if you have it, else the global one)."""
        info = self.get(world_id)
        if token:
            info["token"] = token
        return World(self._c, info)

    def delete(self, world_id: str) -> None:
        self._c.admin("DELETE", "/worlds/" + _seg(world_id))

    def bind(self, world_id: str, client_id: str) -> dict[str, Any]:
        return self._c.admin("PUT", f"/worlds/{_seg(world_id)}/bindings/{_seg(client_id)}")

    def unbind(self, world_id: str, client_id: str) -> dict[str, Any]:
        return self._c.admin("DELETE", f"/worlds/{_seg(world_id)}/bindings/{_seg(client_id)}")


class ConformanceRun:
    """One conformance run: poll it, read its verdicts, write its reports."""

    def __init__(self, client: "Mynasim", data: dict[str, Any]) -> None:
        self._c = client
        self.data = data

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def state(self) -> str:
        return self.data.get("state", "")

    @property
    def current(self) -> dict[str, Any] | None:
        """The test waiting for the API user's flow now (``action``, ``persona`` …), or None."""
        return self.data.get("current")

    @property
    def persona(self) -> dict[str, Any] | None:
        return self.data.get("persona")

    @property
    def summary(self) -> dict[str, int]:
        return self.data.get("summary") or {}

    @property
    def tests(self) -> list[dict[str, Any]]:
        return self.data.get("tests") or []

    @property
    def verdicts(self) -> dict[str, str]:
        """``{test name: verdict}`` (pass, warning, fail, not_applicable, pending)."""
        return {t["name"]: t["verdict"] for t in self.tests}

    @property
    def finished(self) -> bool:
        return self.state in ("finished", "cancelled")

    @property
    def passed(self) -> bool:
        """Finished with no failing test."""
        return self.state == "finished" and not self.summary.get("fail", 0)

    def refresh(self) -> "ConformanceRun":
        self.data = self._c.admin("GET", "/conformance/runs/" + _seg(self.id))
        return self

    def wait_for_current(self, timeout: float = 30.0, poll: float = 0.2,
                         after: str | None = None) -> dict[str, Any] | None:
        """Wait until a test is announced (``current`` not None, and another test than ``after``),
        or the run is over (returns None)."""
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            cur = self.current
            if self.finished:
                return None
            if cur is not None and (after is None or cur.get("name") != after):
                return cur
            if time.monotonic() > deadline:
                raise WaitTimeout(f"conformance run {self.id}: no test announced within {timeout:g} s")
            time.sleep(poll)

    def wait(self, timeout: float = 60.0, poll: float = 0.5,
             on_test: Callable[[dict[str, Any]], None] | None = None) -> "ConformanceRun":
        """Poll (bounded) until the run is finished or cancelled. ``on_test(current)`` is called
        once per announced test — drive your app's flow from it."""
        deadline = time.monotonic() + timeout
        seen: set[Any] = set()
        while True:
            self.refresh()
            if self.finished:
                return self
            cur = self.current
            if on_test and cur is not None:
                key = (cur.get("index"), cur.get("name"))
                if key not in seen:
                    seen.add(key)
                    on_test(cur)
                    continue
            if time.monotonic() > deadline:
                raise WaitTimeout(f"conformance run {self.id} still {self.state} after {timeout:g} s "
                                  f"(summary {self.summary})")
            time.sleep(poll)

    def cancel(self) -> "ConformanceRun":
        self.data = self._c.admin("DELETE", "/conformance/runs/" + _seg(self.id))
        return self

    def report(self, format: str = "json") -> Any:
        """The report: ``json`` (a dict), ``junit`` (XML text) or ``markdown`` (text)."""
        return self._c.admin("GET", f"/conformance/runs/{_seg(self.id)}/report",
                             query={"format": format}, want="json" if format == "json" else "text")

    def write_junit(self, path: str | os.PathLike[str]) -> str:
        """Write the JUnit XML report (one test case per test) to ``path``; returns the XML."""
        xml = self.report("junit")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        return xml


class Conformance(_Section):
    def tests(self) -> dict[str, Any]:
        """``{"tests": […], "plans": […]}``."""
        return self._c.admin("GET", "/conformance/tests")

    def runs(self) -> list[dict[str, Any]]:
        return self._c.admin("GET", "/conformance/runs")["runs"]

    def start(self, client_id: str, plan: str | Sequence[str] | None = None, *,
              complete_screens: bool | None = None) -> ConformanceRun:
        """POST /__admin/conformance/runs. ``plan``: "all", "basic", test ids (a list or commas).
        ``complete_screens=True`` asks mynasim to answer the app's plain authorize itself while a
        test is current (only sent when given; a binary without it refuses the field)."""
        body: dict[str, Any] = {"client_id": client_id}
        if plan is not None:
            body["plan"] = plan if isinstance(plan, str) else ",".join(plan)
        if complete_screens is not None:
            body["complete_screens"] = complete_screens
        return ConformanceRun(self._c, self._c.admin("POST", "/conformance/runs", body))

    def get(self, run_id: str) -> ConformanceRun:
        return ConformanceRun(self._c, self._c.admin("GET", "/conformance/runs/" + _seg(run_id)))

    def supports_complete_screens(self, client_id: str) -> bool:
        """Whether this binary accepts ``complete_screens`` (starts and cancels a 1-test run)."""
        try:
            run = self.start(client_id, "notification-ack", complete_screens=True)
        except ApiError as e:
            if e.status == 400:
                return False
            raise
        run.cancel()
        return True


def _seg(s: str) -> str:
    return urllib.parse.quote(str(s), safe="")


class Mynasim:
    """A client for one mynasim (the default world), or — as :class:`World` — one named world.

    Make one with :meth:`start` (own process on free ports), :meth:`connect` (running one) or
    :meth:`from_env`. Use as a context manager: leaving it stops a process it started.
    """

    def __init__(self, admin_url: str, app_url: str | None = None, sp_url: str | None = None, *,
                 systems_url: str | None = None, ca_file: str | None = None,
                 token: str | None = None, timeout: float = _http.DEFAULT_TIMEOUT,
                 version: str | None = None, verify_version: bool = True,
                 process: SimulatorProcess | None = None) -> None:
        self.admin_url = admin_url.rstrip("/")
        self.app_url = app_url.rstrip("/") if app_url else None
        self.sp_url = sp_url.rstrip("/") if sp_url else None
        self.systems_url = systems_url.rstrip("/") if systems_url else None
        self.ca_file = ca_file
        self.token = token
        self.process = process
        self.http = _http.Transport(ca_file=ca_file, timeout=timeout)
        self._admin_base = self.admin_url + "/__admin"
        self.clock = Clock(self)
        self.faults = Faults(self)
        self.scenarios = Scenarios(self)
        self.journal = Journal(self)
        self.services = Sheet(self, "services")
        self.connections = Sheet(self, "connections")
        self.personas = Sheet(self, "personas")
        self.conformance = Conformance(self)
        self.version = version
        if self.version is None and verify_version:
            self.version = self._read_version()
        if verify_version:
            check_version(self.version or "unknown")

    # ---- making one ---------------------------------------------------------------------------

    @classmethod
    def start(cls, binary: str | None = None, args: Sequence[str] = (), *,
              config: str | None = None, api_users: Sequence[str] = (),
              admin_token: str | None = None, ready_timeout: float = 30.0,
              timeout: float = _http.DEFAULT_TIMEOUT, env: Mapping[str, str] | None = None,
              cwd: str | None = None) -> "Mynasim":
        """Start ``mynasim serve`` on free ports (binary: given, ``$MYNASIM_BIN`` or PATH) and
        connect to it. ``args`` are extra serve arguments."""
        extra = list(args)
        if config:
            extra += ["--config", config]
        for u in api_users:
            extra += ["--api-user", u]
        if admin_token:
            extra += ["--admin-token", admin_token]
        proc = start_process(binary, extra, ready_timeout=ready_timeout, env=env, cwd=cwd)
        try:
            return cls.from_ready(proc.ready, token=admin_token, timeout=timeout, process=proc)
        except BaseException:
            proc.stop()
            raise

    @classmethod
    def from_ready(cls, ready: Mapping[str, Any], *, token: str | None = None,
                   timeout: float = _http.DEFAULT_TIMEOUT,
                   process: SimulatorProcess | None = None) -> "Mynasim":
        """A client from the ready file's JSON (``urls``, ``version``, ``ca_file``)."""
        urls = ready.get("urls") or {}
        return cls(urls["admin"], urls.get("app"), urls.get("sp"), systems_url=urls.get("systems"),
                   ca_file=ready.get("ca_file"), token=token, timeout=timeout,
                   version=ready.get("version"), process=process)

    @classmethod
    def connect(cls, admin_url: str, app_url: str | None = None, sp_url: str | None = None, *,
                ca_file: str | None = None, token: str | None = None,
                timeout: float = _http.DEFAULT_TIMEOUT) -> "Mynasim":
        """Connect to a running mynasim (its version is read from GET /__admin/health)."""
        return cls(admin_url, app_url, sp_url, ca_file=ca_file, token=token, timeout=timeout)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **start_kwargs: Any) -> "Mynasim":
        """Connect to ``$MYNASIM_ADMIN_URL`` (with MYNASIM_APP_URL, MYNASIM_SP_URL, MYNASIM_CA,
        MYNASIM_ADMIN_TOKEN) when set; else start ``$MYNASIM_BIN`` or ``mynasim`` from PATH."""
        e = os.environ if env is None else env
        admin = e.get("MYNASIM_ADMIN_URL")
        token = e.get("MYNASIM_ADMIN_TOKEN") or None
        if admin:
            return cls.connect(admin, e.get("MYNASIM_APP_URL"), e.get("MYNASIM_SP_URL"),
                               ca_file=e.get("MYNASIM_CA") or None, token=token)
        start_kwargs.setdefault("binary", e.get("MYNASIM_BIN") or "mynasim")
        if token:
            start_kwargs.setdefault("admin_token", token)
        return cls.start(**start_kwargs)

    def _read_version(self) -> str:
        """GET /__admin/health's ``version``; a binary whose health has none (0.1.0) is read from
        the ``info.version`` of the admin OpenAPI document it serves."""
        health = self.health()
        v = health.get("version")
        if v:
            return str(v)
        doc = self.admin("GET", "/openapi/mynasim-admin.yaml", want="text")
        in_info = False
        for line in doc.splitlines():
            if line.startswith("info:"):
                in_info = True
            elif in_info and line and not line.startswith(" "):
                break
            elif in_info and line.strip().startswith("version:"):
                return line.split(":", 1)[1].strip().strip("'\"")
        raise MynasimError(f"{self._admin_base}: cannot tell the simulator's version")

    # ---- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the process this client started (no-op when connected to a running one)."""
        if self.process is not None:
            self.process.stop()
            self.process = None

    stop = close

    def __enter__(self) -> "Mynasim":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- raw calls ----------------------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def admin(self, method: str, path: str, body: Any = None, *, query: Mapping[str, Any] | None = None,
              raw: str | bytes | None = None, content_type: str | None = None,
              want: str = "json") -> Any:
        """One admin call: ``path`` relative to ``/__admin`` of this world. Raises ApiError on ≥ 400."""
        url = _http.join(self._admin_base, path, query)
        headers = self._auth_headers()
        if content_type:
            headers["Content-Type"] = content_type
        if raw is not None:
            resp = self.http.request(method, url, body=raw, headers=headers)
        elif body is not None:
            resp = self.http.request(method, url, json_body=body, headers=headers)
        else:
            resp = self.http.request(method, url, headers=headers)
        raise_for_status(resp, method)
        if want == "text":
            return resp.text
        if want == "response":
            return resp
        return resp.json() if resp.body else None

    @property
    def last_virtual_time(self) -> str | None:
        """The ``Mynasim-Virtual-Time`` header of the last answer seen (None before any)."""
        return self.http.last_virtual_time

    # ---- operations ---------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self.admin("GET", "/health")

    def ready(self) -> bool:
        """GET /readyz on the admin listener."""
        try:
            return self.http.request("GET", self.admin_url + "/readyz").status == 200
        except OSError:
            return False

    def reset(self) -> dict[str, Any]:
        """The world back to how it was loaded (runtime sheet changes stay)."""
        return self.admin("POST", "/reset")

    def config(self) -> dict[str, Any]:
        return self.admin("GET", "/config")

    def availability(self, at: str | _dt.datetime | None = None) -> dict[str, Any]:
        """Every system at ``at`` (default the virtual now): up, reason, next_change."""
        return self.admin("GET", "/availability", query={"at": iso_instant(at) if at else None})

    def system_up(self, system: str, at: str | _dt.datetime | None = None) -> bool:
        for s in self.availability(at)["systems"]:
            if s["id"] == system:
                return bool(s["up"])
        raise KeyError(system)

    def timeline(self, system: str | None = None, start: str | _dt.datetime | None = None,
                 end: str | _dt.datetime | None = None) -> dict[str, Any]:
        """Windows of one system (or every system, with the days off) between start and end."""
        return self.admin("GET", "/availability/timeline", query={
            "system": system, "from": iso_instant(start) if start else None,
            "to": iso_instant(end) if end else None})

    def processes(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self.admin("GET", "/processes", query={"limit": limit})["processes"]

    def get_process(self, process_id: str) -> dict[str, Any]:
        """One IF001-04 process: inquiry, holders' status, every notification attempt."""
        return self.admin("GET", "/processes/" + _seg(process_id))

    def notifications(self, client_id: str | None = None, process_id: str | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
        """The IF001-05 notifications sent to API users: journal entries with ``direction`` out and
        ``system`` ``api-user``, oldest first (the attempts of one process: get_process())."""
        return self.journal.find(system="api-user", direction="out", client_id=client_id,
                                 process_id=process_id, limit=limit)

    def count_notifications(self, client_id: str | None = None, process_id: str | None = None) -> int:
        return self.journal.count(system="api-user", direction="out", client_id=client_id,
                                  process_id=process_id)

    def access_records(self, persona: str) -> list[dict[str, Any]]:
        return self.admin("GET", f"/personas/{_seg(persona)}/access-records")["access_records"]

    def card_states(self) -> list[dict[str, Any]]:
        """GET /__admin/personas: every persona with its card's state now."""
        return self.admin("GET", "/personas")["personas"]

    def reset_cards(self, serial: str | None = None) -> dict[str, Any]:
        if serial:
            return self.admin("POST", f"/cards/{_seg(serial)}/reset")
        return self.admin("POST", "/cards/reset")

    def lint(self, client_id: str) -> dict[str, Any]:
        return self.admin("GET", "/lint", query={"client_id": client_id})

    def changes(self, full: bool = False) -> dict[str, Any]:
        return self.admin("GET", "/changes", query={"full": "1" if full else None})

    def forget_changes(self) -> dict[str, Any]:
        return self.admin("DELETE", "/changes")

    def reload(self) -> dict[str, Any]:
        return self.admin("POST", "/reload")

    @property
    def worlds(self) -> Worlds:
        return Worlds(self)

    # ---- the browser side without screens -----------------------------------------------------

    def authorize(self, client_id: str, redirect_uri: str, persona: str | None = None,
                  outcome: str | None = None, state: str | None = None, *, pkce: bool = False,
                  code_challenge: str | None = None, code_challenge_method: str = "S256",
                  login_type: str = "0", extra: Mapping[str, str] | None = None) -> Authorization:
        """IF001-01 without the screens: GET the app's authorize with ``mynasim_persona`` /
        ``mynasim_outcome``, do not follow the 302, and return the code and state. Refusing
        outcomes raise AuthorizationError (``.error`` e.g. ``access_denied``, ``.error_code``).
        ``persona=None`` sends the plain authorize (for a service with ``ci:`` in its YAML, or a
        conformance run with ``complete_screens``). ``pkce=True`` makes an S256 pair; the verifier
        comes back in ``Authorization.code_verifier``."""
        if not self.app_url:
            raise MynasimError("this client has no app URL (connect(..., app_url=...))")
        verifier = None
        if pkce and code_challenge is None:
            verifier, code_challenge = pkce_pair()
        q: dict[str, Any] = {"response_type": "code", "client_id": client_id,
                             "redirect_uri": redirect_uri, "state": state, "login_type": login_type}
        if code_challenge:
            q["code_challenge"] = code_challenge
            q["code_challenge_method"] = code_challenge_method
        if persona:
            q["mynasim_persona"] = persona
        if outcome:
            q["mynasim_outcome"] = outcome
        q.update(extra or {})
        url = _http.join(self.app_url, "/online-authorization-web/oauth/authorize", q)
        resp = self.http.request("GET", url, headers={"Accept": "text/html,application/json"})
        loc = resp.header("location")
        if resp.status in (301, 302, 303, 307, 308) and loc:
            return parse_authorize_redirect(loc, status=resp.status, client_id=client_id,
                                            redirect_uri=redirect_uri, code_verifier=verifier)
        if resp.status == 200:
            raise AuthorizationError("interaction_required",
                                     "authorize showed the screens (no persona, no ci:, no "
                                     "complete_screens run)", status=200)
        raise AuthorizationError(_oauth_error_for(resp.status), _page_message(resp),
                                 resp.header("x-mynasim-error-code"), state, resp.status)


def _oauth_error_for(status: int) -> str:
    return "invalid_request" if status < 500 else "server_error"


def _page_message(resp: _http.Response) -> str:
    text = resp.text
    try:
        body = json.loads(text)
        if isinstance(body, dict):
            return str(body.get("message") or body.get("error_description") or body.get("error"))
    except ValueError:
        pass
    m = re.search(r'data-testid="error-message"[^>]*>(.*?)<', text, re.S)
    if m:
        return html.unescape(m.group(1)).strip()
    return text[:200]


def raise_for_status(resp: _http.Response, method: str = "") -> None:
    """ApiError(status, error, message) for an answer ≥ 400 (JSON ``{error, message}`` or
    ``{error, error_description}``, else the text)."""
    if resp.status < 400:
        return
    body: Any = None
    error = message = None
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    if isinstance(body, dict):
        error = body.get("error")
        message = body.get("message") or body.get("error_description") or body.get("errorMessage")
        if error is None and isinstance(body.get("commonHeader"), dict):
            error = body["commonHeader"].get("errorCode")
    elif isinstance(body, str) and body:
        message = body[:500]
    raise ApiError(resp.status, error, message, method, resp.url, body)


class World(Mynasim):
    """A client bound to one named world: every call goes under ``/worlds/{id}/``."""

    def __init__(self, parent: Mynasim, info: Mapping[str, Any]) -> None:
        self.parent = parent
        self.info = dict(info)
        self.id = info["id"]
        urls = info.get("urls") or {}
        base = parent.admin_url + "/worlds/" + _seg(self.id)
        super().__init__(base, urls.get("app") or _sub(parent.app_url, self.id),
                         urls.get("sp") or _sub(parent.sp_url, self.id),
                         systems_url=_sub(parent.systems_url, self.id), ca_file=parent.ca_file,
                         token=info.get("token") or parent.token, timeout=parent.http.timeout,
                         version=parent.version, verify_version=False)
        self.http = parent.http  # share the TLS context and the virtual-time header
        self._deleted = False

    @property
    def worlds(self) -> Worlds:  # type: ignore[override]
        raise MynasimError("worlds are managed on the simulator's client, not inside a world")

    def delete(self) -> None:
        """Remove this world (and everything it owns); idempotent."""
        if not self._deleted:
            try:
                self.parent.worlds.delete(self.id)
            except ApiError as e:
                if e.status != 404:
                    raise
            self._deleted = True

    def close(self) -> None:
        self.delete()

    def __repr__(self) -> str:
        return f"<mynasim World {self.id} {self.admin_url}>"


def _sub(base: str | None, world_id: str) -> str | None:
    return f"{base.rstrip('/')}/worlds/{_seg(world_id)}" if base else None

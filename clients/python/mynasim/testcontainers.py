# SPDX-License-Identifier: Apache-2.0
"""A Testcontainers-python module for mynasim.

    from mynasim.testcontainers import MynasimContainer

    with MynasimContainer("mynasim:latest").with_clock("2026-12-29T10:00:00+09:00") as c:
        sim = c.get_client()                # a mynasim.Mynasim bound to the mapped ports
        print(c.get_admin_url(), c.get_app_url())

``MynasimContainer`` needs the ``testcontainers`` package, imported only when the class is first
used, so this module imports without it. The parts that need no container library — the URLs
from the mapped ports, the serve command, the bounded wait on ``/readyz`` — are plain functions.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Any, Callable, Mapping, Sequence

from . import _http
from .errors import WaitTimeout

APP_PORT = 8443
SP_PORT = 9443
ADMIN_PORT = 8081
SYSTEMS_PORT = 8090
PORTS = {"app": APP_PORT, "sp": SP_PORT, "admin": ADMIN_PORT, "systems": SYSTEMS_PORT}
DEFAULT_IMAGE = "mynasim:latest"
CA_EXPORT_DIR = "/export"
WORLD_DIR = "/world"


def _host_for_url(host: str) -> str:
    if ":" in host and not host.startswith("["):
        return f"[{host}]"  # an IPv6 literal
    return host


def container_urls(host: str, mapped_ports: Mapping[int, int | str]) -> dict[str, str]:
    """Base URLs from the host and the mapped ports ``{container port: host port}``:
    ``{"app": "https://host:P", "sp": "https://…", "admin": "http://…", "systems": "http://…"}``."""
    h = _host_for_url(host)
    out = {}
    for name, port in PORTS.items():
        if port not in mapped_ports:
            continue
        scheme = "https" if name in ("app", "sp") else "http"
        out[name] = f"{scheme}://{h}:{int(mapped_ports[port])}"
    return out


def serve_command(*, scenario: str | None = None, api_users: Sequence[str] = (),
                  extra_args: Sequence[str] = ()) -> list[str]:
    """The container's command (the image's entry point is ``mynasim``)."""
    cmd = ["serve", "--host", "0.0.0.0"]
    if scenario:
        cmd += ["--scenario", scenario]
    for u in api_users:
        cmd += ["--api-user", u]
    cmd += list(extra_args)
    return cmd


def wait_ready(admin_url: str, timeout: float = 60.0, interval: float = 0.25,
               get: Callable[[str], int] | None = None) -> None:
    """Poll ``GET {admin_url}/readyz`` (no token needed) until 200, at most ``timeout`` s.
    ``get(url) -> status`` may replace the HTTP call (tests)."""
    if get is None:
        transport = _http.Transport(timeout=min(5.0, max(timeout, 0.1)))

        def get(url: str) -> int:
            return transport.request("GET", url).status
    url = admin_url.rstrip("/") + "/readyz"
    deadline = time.monotonic() + timeout
    last: str = "no answer yet"
    while True:
        try:
            status = get(url)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as e:
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"{url} not ready within {timeout:g} s (last: {last})")
        time.sleep(interval)


def _make_class() -> type:
    from testcontainers.core.container import DockerContainer  # type: ignore[import-not-found]

    from .client import Mynasim

    class MynasimContainer(DockerContainer):  # type: ignore[misc,valid-type]
        """mynasim in a container: app 8443, sp 9443, admin 8081, systems 8090."""

        def __init__(self, image: str = DEFAULT_IMAGE, admin_token: str = "dev-admin-token",
                     ready_timeout: float = 60.0, **kwargs: Any) -> None:
            super().__init__(image, **kwargs)
            self.admin_token = admin_token
            self.ready_timeout = ready_timeout
            self._scenario: str | None = None
            self._api_users: list[str] = []
            self._extra: list[str] = []
            self._clock: dict[str, Any] | None = None
            self._ca_dir = tempfile.mkdtemp(prefix="mynasim-ca-")
            os.chmod(self._ca_dir, 0o777)
            self.with_exposed_ports(APP_PORT, SP_PORT, ADMIN_PORT, SYSTEMS_PORT)
            self.with_env("MYNASIM_ADMIN_TOKEN", admin_token)
            self.with_env("MYNASIM_CA_EXPORT_DIR", CA_EXPORT_DIR)
            self.with_volume_mapping(self._ca_dir, CA_EXPORT_DIR, "rw")

        def with_world(self, host_dir: str, entry: str = "world.yaml") -> "MynasimContainer":
            """Serve the world in ``host_dir`` (mounted read-only at /world)."""
            self.with_volume_mapping(os.path.abspath(host_dir), WORLD_DIR, "ro")
            self.with_env("MYNASIM_CONFIG", f"{WORLD_DIR}/{entry}")
            return self

        def with_clock(self, now: str, *, frozen: bool | None = None,
                       speed: float | None = None) -> "MynasimContainer":
            """Set the virtual clock once the container is ready (PUT /__admin/clock)."""
            self._clock = {k: v for k, v in {"now": now, "frozen": frozen, "speed": speed}.items()
                           if v is not None}
            return self

        def with_scenario(self, file: str) -> "MynasimContainer":
            self._scenario = file
            return self

        def with_api_user(self, spec: str) -> "MynasimContainer":
            """``[CLIENT_ID=]URL`` of your app, as ``--api-user``."""
            self._api_users.append(spec)
            return self

        def with_admin_token(self, token: str) -> "MynasimContainer":
            self.admin_token = token
            self.with_env("MYNASIM_ADMIN_TOKEN", token)
            return self

        def with_serve_args(self, *args: str) -> "MynasimContainer":
            self._extra += list(args)
            return self

        def _mapped(self) -> dict[int, int | str]:
            return {p: self.get_exposed_port(p) for p in PORTS.values()}

        def urls(self) -> dict[str, str]:
            return container_urls(self.get_container_host_ip(), self._mapped())

        def get_app_url(self) -> str:
            return self.urls()["app"]

        def get_sp_url(self) -> str:
            return self.urls()["sp"]

        def get_admin_url(self) -> str:
            return self.urls()["admin"]

        def get_systems_url(self) -> str:
            return self.urls()["systems"]

        def get_ca_file(self) -> str:
            return os.path.join(self._ca_dir, "ca.crt")

        def get_client(self) -> Mynasim:
            u = self.urls()
            return Mynasim(u["admin"], u["app"], u["sp"], systems_url=u["systems"],
                           ca_file=self.get_ca_file(), token=self.admin_token)

        def start(self) -> "MynasimContainer":
            self.with_command(serve_command(scenario=self._scenario, api_users=self._api_users,
                                            extra_args=self._extra))
            super().start()
            wait_ready(self.get_admin_url(), timeout=self.ready_timeout)
            if self._clock:
                self.get_client().clock.set(**self._clock)
            return self

        def stop(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().stop(*args, **kwargs)
            finally:
                shutil.rmtree(self._ca_dir, ignore_errors=True)

    return MynasimContainer


_cls: type | None = None


def __getattr__(name: str) -> Any:
    global _cls
    if name == "MynasimContainer":
        if _cls is None:
            _cls = _make_class()
        return _cls
    raise AttributeError(name)

# SPDX-License-Identifier: Apache-2.0
"""Start and stop a ``mynasim serve`` process on free ports."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any, Mapping, Sequence

from .errors import StartError

DEFAULT_BINARY_ENV = "MYNASIM_BIN"


def find_binary(binary: str | None = None) -> str:
    """The mynasim binary: ``binary`` if given, else ``$MYNASIM_BIN``, else ``mynasim`` on PATH."""
    candidate = binary or os.environ.get(DEFAULT_BINARY_ENV) or "mynasim"
    if os.sep in candidate:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
        raise StartError(f"mynasim binary not found or not executable: {candidate}")
    found = shutil.which(candidate)
    if not found:
        raise StartError(f"'{candidate}' is not on PATH; set {DEFAULT_BINARY_ENV} or pass binary=")
    return found


def binary_version(binary: str | None = None, timeout: float = 10.0) -> str:
    """What ``mynasim version`` prints (first word that looks like a version)."""
    out = subprocess.run([find_binary(binary), "version"], capture_output=True, text=True,
                         timeout=timeout, check=False)
    return parse_version_text(out.stdout or out.stderr)


def parse_version_text(text: str) -> str:
    for word in text.replace(",", " ").split():
        w = word.lstrip("v")
        if w[:1].isdigit() and "." in w:
            return w
    return text.strip()


def tail(path: str, max_bytes: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


class SimulatorProcess:
    """A running ``mynasim serve``; ``ready`` is the parsed ready file."""

    def __init__(self, popen: subprocess.Popen, ready: dict[str, Any], workdir: str,
                 log_path: str) -> None:
        self.popen = popen
        self.ready = ready
        self.workdir = workdir
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_tail(self, max_bytes: int = 4000) -> str:
        return tail(self.log_path, max_bytes)

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL. Returns the exit code."""
        p = self.popen
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return p.returncode


def start_process(binary: str | None = None, args: Sequence[str] = (), *,
                  ready_timeout: float = 30.0, env: Mapping[str, str] | None = None,
                  cwd: str | None = None) -> SimulatorProcess:
    """``mynasim serve --port-base 0 --ready-file <tmp>/ready.json ARGS…``, waiting (bounded)
    for the ready file. The log goes to ``<tmp>/mynasim.log``; its tail is in any StartError."""
    exe = find_binary(binary)
    workdir = tempfile.mkdtemp(prefix="mynasim-")
    ready_path = os.path.join(workdir, "ready.json")
    log_path = os.path.join(workdir, "mynasim.log")
    cmd = [exe, "serve", "--port-base", "0", "--ready-file", ready_path, *args]
    full_env = dict(os.environ)
    # Ports and the ready file come from the arguments only.
    for k in ("MYNASIM_PORT_BASE", "MYNASIM_APP_PORT", "MYNASIM_SP_PORT", "MYNASIM_ADMIN_PORT",
              "MYNASIM_SYSTEMS_PORT", "MYNASIM_READY_FILE"):
        full_env.pop(k, None)
    full_env.update(env or {})
    log = open(log_path, "wb")
    try:
        popen = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 env=full_env, cwd=cwd, start_new_session=True)
    except OSError as e:
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise StartError(f"cannot run {exe}: {e}") from e
    finally:
        if not log.closed:
            log.close()
    deadline = time.monotonic() + ready_timeout
    while True:
        code = popen.poll()
        if code is not None:
            t = tail(log_path)
            shutil.rmtree(workdir, ignore_errors=True)
            raise StartError(f"mynasim exited with status {code} before it was ready ({' '.join(cmd)})", t)
        try:
            with open(ready_path, encoding="utf-8") as f:
                text = f.read()
            if text.strip():
                ready = json.loads(text)
                return SimulatorProcess(popen, ready, workdir, log_path)
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            t = tail(log_path)
            proc = SimulatorProcess(popen, {}, workdir, log_path)
            proc.stop(timeout=5)
            raise StartError(f"mynasim was not ready within {ready_timeout:g} s ({' '.join(cmd)})", t)
        time.sleep(0.05)

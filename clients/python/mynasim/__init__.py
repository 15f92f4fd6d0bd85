# SPDX-License-Identifier: Apache-2.0
"""Python client for mynasim, the Myna Portal 自己情報取得API simulator.

    import mynasim
    with mynasim.start() as sim:          # mynasim serve on free ports
        sim.clock.set("2026-12-29T10:00:00+09:00", frozen=True)
        auth = sim.authorize("SP00000086_AA0003", "http://localhost:3000/callback", persona="taro")
"""
from __future__ import annotations

from .client import (DEFAULT_ADMIN_TOKEN, JST, SUPPORTED_VERSIONS, Authorization, Clock,
                     Conformance, ConformanceRun, Faults, Journal, Mynasim, Scenarios, Sheet, World,
                     Worlds, check_version, is_supported_version, iso_duration, iso_instant,
                     parse_authorize_redirect, parse_instant, parse_version, pkce_pair)
from .errors import (ApiError, AuthorizationError, MynasimError, StartError,
                     UnsupportedVersionError, VerificationError, WaitTimeout)
from .process import SimulatorProcess, binary_version, find_binary, start_process

__version__ = "0.1.0"

start = Mynasim.start
connect = Mynasim.connect
from_env = Mynasim.from_env

__all__ = [
    "ApiError", "Authorization", "AuthorizationError", "Clock", "Conformance", "ConformanceRun",
    "DEFAULT_ADMIN_TOKEN", "Faults", "JST", "Journal", "Mynasim", "MynasimError",
    "SUPPORTED_VERSIONS", "Scenarios", "Sheet", "SimulatorProcess", "StartError",
    "UnsupportedVersionError", "VerificationError", "WaitTimeout", "World", "Worlds",
    "binary_version", "check_version", "connect", "find_binary", "from_env",
    "is_supported_version", "iso_duration", "iso_instant", "parse_authorize_redirect",
    "parse_instant", "parse_version", "pkce_pair", "start", "start_process",
]

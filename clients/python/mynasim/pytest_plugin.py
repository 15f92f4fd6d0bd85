# SPDX-License-Identifier: Apache-2.0
"""pytest fixtures for mynasim.

Registered as the ``mynasim`` pytest11 entry point when the package is installed; without
installing, add ``pytest_plugins = ["mynasim.pytest_plugin"]`` to your conftest.py.

- ``mynasim``: the simulator for the whole session — connected through MYNASIM_ADMIN_URL (& co.)
  when set, else started from ``$MYNASIM_BIN`` / PATH on free ports and stopped at the end.
- ``mynasim_world``: a fresh named world per test (its own clock, faults, journal …), deleted
  after the test.
"""
from __future__ import annotations

import re
from typing import Iterator

import pytest

from .client import Mynasim, World


@pytest.fixture(scope="session")
def mynasim() -> Iterator[Mynasim]:
    sim = Mynasim.from_env()
    try:
        yield sim
    finally:
        sim.close()


def _world_id(nodeid: str) -> str:
    import secrets
    stem = re.sub(r"[^a-z0-9-]+", "-", nodeid.rsplit("::", 1)[-1].lower()).strip("-")[:40] or "t"
    return f"{stem}-{secrets.token_hex(4)}"


@pytest.fixture
def mynasim_world(mynasim: Mynasim, request: pytest.FixtureRequest) -> Iterator[World]:
    world = mynasim.worlds.create(_world_id(request.node.nodeid), ttl="PT10M")
    try:
        yield world
    finally:
        world.delete()

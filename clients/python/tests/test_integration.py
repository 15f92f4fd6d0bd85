# SPDX-License-Identifier: Apache-2.0
"""Integration tests against the real mynasim binary (MYNASIM_BIN or PATH).

The session's simulator comes from the ``mynasim`` fixture; each test works in its own world
(``mynasim_world``) or starts its own process.
"""
from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET

import pytest

import mynasim as mn

CLIENT = "SP00000086_AA0003"
CB = "http://localhost:3000/callback"
WEEKDAY_10AM = "2026-12-09T10:00:00+09:00"   # a Wednesday, every system in its hours


def test_start_from_path_and_stop(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MYNASIM_BIN"}
    sim = mn.Mynasim.start(binary="mynasim", env=env)
    try:
        assert sim.version == mn.binary_version("mynasim")
        assert sim.ready()
        assert sim.app_url.startswith("https://") and sim.sp_url.startswith("https://")
        assert sim.ca_file and os.path.exists(sim.ca_file)
        assert sim.health()["status"] == "ok"
        proc = sim.process
    finally:
        sim.close()
    assert proc.popen.returncode == 0
    assert not proc.running()


def test_from_env_without_urls_starts_from_path():
    with mn.from_env({}) as sim:      # no MYNASIM_ADMIN_URL, no MYNASIM_BIN: `mynasim` on PATH
        assert sim.process is not None and sim.process.running()
        assert sim.version == mn.binary_version("mynasim")


def test_start_with_extra_args_and_token():
    with mn.Mynasim.start(admin_token="s3cret", args=["--log-format", "text"],
                          api_users=[f"{CLIENT}=http://127.0.0.1:4000"]) as sim:
        assert sim.clock.get()["timezone"] == "Asia/Tokyo"
        assert sim.connections.get(CLIENT)["notification_url"] == "http://127.0.0.1:4000/myna/notify"
        w = sim.worlds.create(api_users=["http://127.0.0.1:4100"], bind=["SP00000200_CC0002"])
        assert w.connections.get(CLIENT)["notification_url"] == "http://127.0.0.1:4100/myna/notify"
        assert w.info["bound"] == ["SP00000200_CC0002"]
        assert w.clock.get()["timezone"] == "Asia/Tokyo"   # with its world token
        w.delete()
        anon = mn.Mynasim(sim.admin_url, verify_version=False)
        with pytest.raises(mn.ApiError) as e:
            anon.clock.get()
        assert e.value.status == 401


def test_start_failure_has_log_tail(tmp_path):
    bad = tmp_path / "world.yaml"
    bad.write_text("server:\n  colour: red\n")
    with pytest.raises(mn.StartError) as e:
        mn.Mynasim.start(config=str(bad), ready_timeout=10)
    assert "colour" in e.value.log_tail


def test_connect_from_env(mynasim):
    env = {"MYNASIM_ADMIN_URL": mynasim.admin_url, "MYNASIM_APP_URL": mynasim.app_url,
           "MYNASIM_SP_URL": mynasim.sp_url, "MYNASIM_CA": mynasim.ca_file}
    other = mn.from_env(env)
    assert other.version == mynasim.version and other.process is None
    assert other.authorize(CLIENT, CB, persona="taro").code


def test_clock(mynasim_world):
    w = mynasim_world
    c = w.clock.set(WEEKDAY_10AM, frozen=True)
    assert c["frozen"] is True
    assert w.clock.now() == mn.parse_instant(WEEKDAY_10AM)
    w.clock.advance("PT2H")
    assert w.clock.now() == mn.parse_instant("2026-12-09T12:00:00+09:00")
    w.clock.advance(dt.timedelta(minutes=30))
    assert w.clock.now().minute == 30
    assert w.clock.speed(60)["speed"] == 60
    assert w.clock.resume()["frozen"] is False
    assert w.clock.freeze()["frozen"] is True
    wall = w.clock.wall()
    assert wall["speed"] == 1 and wall["frozen"] is False
    assert abs(w.clock.now() - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=30)
    with pytest.raises(mn.ApiError) as e:
        w.clock.advance("two hours")
    assert e.value.status == 400 and e.value.error


def test_virtual_time_header(mynasim_world):
    mynasim_world.clock.set(WEEKDAY_10AM, frozen=True)
    mynasim_world.faults.list()
    vt = mynasim_world.last_virtual_time
    if vt is None:
        pytest.skip("this binary does not send Mynasim-Virtual-Time yet")
    assert mn.parse_instant(vt) == mn.parse_instant(WEEKDAY_10AM)


def test_faults(mynasim_world):
    f = mynasim_world.faults
    fid = f.add(kind="http_error", target="japan-pension", status=500, count=3)
    ids = f.add_all([{"kind": "down", "target": "juki", "for": "PT30M", "id": "juki-down"},
                     {"kind": "latency", "target": "municipal", "latency_ms": 5}])
    assert ids[0] == "juki-down"
    assert {x["id"] for x in f.list()} == {fid, *ids}
    assert mynasim_world.system_up("juki") is False
    f.remove("juki-down")
    assert len(f.list()) == 2
    f.clear()
    assert f.list() == []
    with pytest.raises(mn.ApiError) as e:
        f.add(kind="teleport", target="juki")
    assert e.value.status == 400 and e.value.error
    with pytest.raises(mn.ApiError) as e:
        f.remove("nope")
    assert e.value.status == 404


def test_scenarios(mynasim_world):
    s = mynasim_world.scenarios
    st = s.load("year-end-juki.yaml")
    assert st["scenario"] == "year-end-juki"
    assert s.current()["scenario"] == "year-end-juki"
    s.stop()
    assert s.current()["scenario"] is None
    st = s.load(yaml="name: mine\nsteps:\n  - at: \"2026-12-09T10:00:00+09:00\"\n    note: hello\n    "
                     "add_faults: [{id: slow, kind: latency, target: municipal, latency_ms: 1}]\n")
    assert st["scenario"] == "mine"
    with pytest.raises(mn.ApiError) as e:
        s.load(yaml="name: [\n")
    assert e.value.status == 400
    with pytest.raises(mn.ApiError) as e:
        s.load("../../etc/passwd")
    assert e.value.status in (403, 404, 400)


def test_authorize_outcomes(mynasim_world):
    w = mynasim_world
    a = w.authorize(CLIENT, CB, persona="taro", state="xyz", pkce=True)
    assert a.code and a.state == "xyz" and a.code_verifier
    with pytest.raises(mn.AuthorizationError) as e:
        w.authorize(CLIENT, CB, persona="taro", outcome="refuse", state="s1")
    assert e.value.error == "access_denied" and e.value.error_code == "MPE1101" and e.value.state == "s1"
    with pytest.raises(mn.AuthorizationError) as e:
        w.authorize(CLIENT, CB, persona="ken")
    assert e.value.error_code == "MPE1103"
    with pytest.raises(mn.AuthorizationError) as e:
        w.authorize(CLIENT, CB, persona="nobody")
    assert e.value.status == 400 and e.value.error_code == "MPE1004"
    with pytest.raises(mn.AuthorizationError) as e:
        w.authorize(CLIENT, CB)   # no persona: the screens
    assert e.value.error == "interaction_required"
    # a ci: service needs no persona
    assert w.authorize("SP00000300_DD0001", CB).code


def test_journal_find_count_verify_clear(mynasim_world):
    w = mynasim_world
    w.journal.clear()
    w.authorize(CLIENT, CB, persona="taro")
    w.authorize(CLIENT, CB, persona="hanako")
    path = "/online-authorization-web/oauth/authorize"
    assert w.journal.count(path=path) == 2
    assert w.journal.count(path=path, client_id=CLIENT) == 2
    assert w.journal.count(path=path, status=302) == 2
    assert len(w.journal.find(path=path, limit=1)) == 1
    assert w.journal.verify(2, path=path) == 2
    w.journal.verify(at_least=1, path=path)
    with pytest.raises(mn.VerificationError) as e:
        w.journal.verify(5, path=path)
    assert e.value.actual == 2 and len(e.value.entries) == 2
    assert path in str(e.value)
    w.journal.clear()
    assert w.journal.count(path=path) == 0
    assert "max_entries" in w.journal.stats()


def test_sheets(mynasim_world):
    w = mynasim_world
    sid = "SP00000999_ZZ0001"
    created = w.services.put(sid, {"provider_name": "テスト信用金庫", "name": "口座開設", "purpose": "口座開設",
                                   "items": ["TM00000000000003"], "redirect_uris": ["http://localhost:4000/cb"]})
    assert created["client_id"] == sid
    assert w.services.get(sid)["name"] == "口座開設"
    assert w.services.patch(sid, {"name": "口座開設2"})["name"] == "口座開設2"
    assert sid in [s["client_id"] for s in w.services.list()]
    assert w.authorize(sid, "http://localhost:4000/cb", persona="taro").code
    w.connections.put(sid, {"notification_url": "http://127.0.0.1:4000/notify"})
    assert w.connections.patch(sid, {"notification_url": "http://127.0.0.1:4001/notify"})[
        "notification_url"] == "http://127.0.0.1:4001/notify"
    w.services.delete(sid)
    with pytest.raises(mn.ApiError) as e:
        w.services.get(sid)
    assert e.value.status == 404
    with pytest.raises(mn.ApiError) as e:
        w.services.put("SP00000999_ZZ0002", {"name": "x"})
    assert e.value.status == 400 and e.value.error == "invalid_entry" and e.value.message
    assert w.personas.get("taro")["card"]["serial"] == "MC00000001"
    assert w.personas.patch("taro", {"note": "changed"})["note"] == "changed"
    yaml_put = w.personas.put("testp", "id: testp\nname: 試験 花子\nkana: シケン ハナコ\nbirth_date: \"1990-01-01\"\n"
                                        "sex: 女\naddress: 東京都千代田区\nmunicipality: 東京都千代田区\n"
                                        "card: {serial: MC09999999, pin: \"1111\"}\n")
    assert yaml_put["id"] == "testp"
    w.personas.delete("testp")
    assert any(p["id"] == "ken" and p["locked"] for p in w.card_states())


def test_worlds_are_isolated(mynasim):
    w = mynasim.worlds.create(clock="2026-12-29T10:00:00+09:00", ttl="PT5M")
    try:
        assert w.id in [x["id"] for x in mynasim.worlds.list()]
        assert abs(w.clock.now() - mynasim_parse("2026-12-29T10:00:00+09:00")) < dt.timedelta(minutes=1)
        # the default world's clock is untouched by the world's
        assert abs(mynasim.clock.now() - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(hours=1)
        assert w.app_url.endswith("/worlds/" + w.id) and w.sp_url.endswith("/worlds/" + w.id)
        assert w.token and w.token == w.info["token"]
        w.faults.add(kind="down", target="juki", for_="PT1H")
        assert mynasim.faults.list() == [] or all(f["target"] != "juki" for f in mynasim.faults.list())
        with pytest.raises(mn.MynasimError):
            w.worlds  # noqa: B018
    finally:
        w.delete()
    w.delete()  # idempotent
    with pytest.raises(mn.ApiError) as e:
        w.clock.get()
    assert e.value.status in (401, 404) and e.value.error in ("unknown_world", "unknown_world_token")


def mynasim_parse(s):
    return mn.parse_instant(s)


def test_world_with_id_and_duplicate(mynasim):
    w = mynasim.worlds.create("py-dup-test")
    try:
        with pytest.raises(mn.ApiError) as e:
            mynasim.worlds.create("py-dup-test")
        assert e.value.status == 409
        again = mynasim.worlds.open("py-dup-test", token=w.token)
        assert again.clock.get()["timezone"] == "Asia/Tokyo"
    finally:
        w.delete()


def test_availability_and_timeline(mynasim_world):
    w = mynasim_world
    a = w.availability("2026-12-29T10:00:00+09:00")
    juki = next(s for s in a["systems"] if s["id"] == "juki")
    assert juki["up"] is False and juki["reason"]["code"] == "planned_outage"
    assert w.system_up("juki", dt.datetime(2026, 12, 9, 10, tzinfo=mn.JST)) is True
    t = w.timeline("juki", "2026-12-28T00:00:00+09:00", "2027-01-05T00:00:00+09:00")
    assert t["system"] == "juki" and any(not win["up"] for win in t["windows"])
    assert "days_off" in w.timeline()


def test_reset(mynasim_world):
    w = mynasim_world
    w.faults.add(kind="latency", target="municipal", latency_ms=1)
    w.reset()
    assert w.faults.list() == []


def test_lint_and_processes(mynasim_world):
    lint = mynasim_world.lint(CLIENT)
    assert lint["client_id"] == CLIENT and "findings" in lint
    assert isinstance(mynasim_world.processes(limit=5), list)
    with pytest.raises(mn.ApiError) as e:
        mynasim_world.get_process("123")
    assert e.value.status == 404


def test_conformance_tests_table(mynasim_world):
    t = mynasim_world.conformance.tests()
    assert "happy-path" in [x["id"] for x in t["tests"]]


def test_unsupported_version_from_ready():
    with pytest.raises(mn.UnsupportedVersionError):
        mn.Mynasim.from_ready({"urls": {"admin": "http://127.0.0.1:9"}, "version": "9.0.0"})


def test_conformance_run_api(mynasim_world):
    w = mynasim_world
    w.clock.set(WEEKDAY_10AM, frozen=False)
    run = w.conformance.start(CLIENT, "notification-ack")
    assert run.id and run.state == "running" and run.persona["id"]
    assert run.current and run.current["test"] == "notification-ack"
    assert w.conformance.get(run.id).id == run.id
    assert run.id in [r["id"] for r in w.conformance.runs()]
    with pytest.raises(mn.ApiError) as e:
        w.conformance.start(CLIENT, "notification-ack")
    assert e.value.status == 409
    run.cancel()
    assert run.state == "cancelled" and run.finished and not run.passed
    assert run.report()["id"] == run.id
    root = ET.fromstring(run.report("junit"))
    assert root.tag == "testsuites"
    with pytest.raises(mn.ApiError) as e:
        w.conformance.start(CLIENT, "no-such-test")
    assert e.value.status == 400
    with pytest.raises(mn.ApiError) as e:
        w.conformance.get("run-999")
    assert e.value.status == 404


def test_plugin_world_fixture(mynasim, mynasim_world):
    assert mynasim_world.id in [x["id"] for x in mynasim.worlds.list()]
    assert mynasim_world.id.startswith("test-plugin-world-fixture-")


def test_plugin_world_fixture_deleted_the_world(mynasim):
    # runs after the test above (file order): its world is gone
    assert not [x for x in mynasim.worlds.list() if x["id"].startswith("test-plugin-world-fixture-")]


def test_container_functions_against_the_real_binary():
    from mynasim import testcontainers as tc
    with mn.Mynasim.start() as sim:
        ready = sim.process.ready
        ports = ready["ports"]
        mapped = {tc.APP_PORT: ports["app"], tc.SP_PORT: ports["sp"], tc.ADMIN_PORT: ports["admin"],
                  tc.SYSTEMS_PORT: ports["systems"]}
        urls = tc.container_urls("127.0.0.1", mapped)
        assert urls == ready["urls"]
        tc.wait_ready(urls["admin"], timeout=5)
        client = mn.Mynasim(urls["admin"], urls["app"], urls["sp"], ca_file=ready["ca_file"])
        assert client.authorize(CLIENT, CB, persona="taro").code   # TLS to the app URL built
        proc = sim.process
    with pytest.raises(mn.WaitTimeout):
        tc.wait_ready(urls["admin"], timeout=0.3, interval=0.05)   # stopped: refused
    assert proc.popen.returncode == 0

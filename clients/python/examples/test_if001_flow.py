# SPDX-License-Identifier: Apache-2.0
"""The IF001 flow of a small API user (api_user.py), tested against mynasim.

Each test gets its own world (``mynasim_world``) with the clock on a weekday morning.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import mynasim as mn
from api_user import ApiUserClient, NotificationReceiver, personal_data

BANK = "SP00000086_AA0003"       # ○○銀行 住宅ローン事前審査: 地方税関係情報 (自治体中間サーバ)
PHR = "SP00000200_CC0001"        # 年金・保険ダッシュボード: items on several 中間サーバ
CB = "http://localhost:3000/callback"
WEEKDAY_10AM = "2026-12-09T10:00:00+09:00"


@pytest.fixture
def world(mynasim_world):
    mynasim_world.clock.set(WEEKDAY_10AM, frozen=True)
    return mynasim_world


def login(world, client_id, persona):
    """Authorize without screens (PKCE) and exchange the code: an access token."""
    api = ApiUserClient(world.sp_url, client_id, CB, world.ca_file)
    auth = world.authorize(client_id, CB, persona=persona, state="st-1", pkce=True)
    assert auth.state == "st-1"
    return api, api.token(auth.code, auth.code_verifier)


def test_flow_with_notification(world):
    with NotificationReceiver() as rx:
        world.connections.patch(BANK, {"notification_url": rx.url})
        api, token = login(world, BANK, "taro")
        tid, pid = api.request(token, "Latest")
        note = rx.wait_for(pid)
        assert note["commonHeader"]["telegramType"] == "IFA0302-R01"
        assert note["commonHeader"]["telegramId"] == tid
        answer = api.result(token, tid, pid)
    assert answer["commonHeader"]["errorCode"] == ""
    data = personal_data(answer)
    tax = data[0]["神奈川県川崎市"]["地方税関係情報"]
    assert tax[-1]["課税年度"] == "2025" and tax[-1]["給与収入額"] == "6000000"
    # what reached which system, for this process
    j = world.journal
    j.verify(1, system="juki", path="/systems/juki/identify", process_id=pid)
    j.verify(1, system="network", process_id=pid)
    j.verify(1, system="municipal", process_id=pid, status=200)
    j.verify(0, system="japan-pension", process_id=pid)
    j.verify(1, path="/online-resource-web/result", client_id=BANK, process_id=pid)
    notes = world.notifications(client_id=BANK, process_id=pid)
    assert len(notes) == 1 and notes[0]["status"] == 200
    assert world.get_process(pid)["notifications"][0]["telegram_type"] == "IFA0302-S01"
    assert any(r["process_id"] == pid for r in world.access_records("taro"))


def test_flow_polling_with_backoff(world):
    world.connections.patch(BANK, {"notification_url": "http://127.0.0.1:9/unreachable"})
    api, token = login(world, BANK, "hanako")
    tid, pid = api.request(token, "Latest")
    answer = api.poll_result(token, tid, pid, first_delay=0.1, max_wait=15)
    assert answer["commonHeader"]["errorCode"] == ""
    assert "地方税関係情報" in personal_data(answer)[0]["神奈川県川崎市"]


def test_year_end_juki_stop(world):
    world.clock.set("2026-12-29T10:00:00+09:00", frozen=True)
    assert not world.system_up("juki")
    api, token = login(world, BANK, "taro")
    tid, pid = api.request(token, "Latest")
    answer = api.poll_result(token, tid, pid, max_wait=15)
    assert answer["commonHeader"]["errorCode"] == "MPE4003"
    assert "2027-01-04T08:00:00+09:00に再開予定です" in answer["errorMessage"]
    juki = answer["selfPersonalDataProvisionInfo"]["providerStatus"][0]
    assert juki["system"] == "juki" and juki["status"] == "unavailable"
    assert juki["reopens_at"] == "2027-01-04T08:00:00+09:00"
    assert personal_data(answer) == []
    world.journal.verify(0, system="municipal", process_id=pid)
    # after the reopening the same request goes through
    world.clock.set("2027-01-04T10:00:00+09:00", frozen=True)
    api, token = login(world, BANK, "taro")
    tid, pid = api.request(token, "Latest")
    assert api.poll_result(token, tid, pid, max_wait=15)["commonHeader"]["errorCode"] == ""


def test_partial_result_when_one_intermediate_server_fails(world):
    fault = world.faults.add(kind="http_error", target="japan-pension", status=503, client_id=PHR)
    api, token = login(world, PHR, "ichiro")
    tid, pid = api.request(token, "Latest")
    answer = api.poll_result(token, tid, pid, max_wait=15)
    assert answer["commonHeader"]["errorCode"] == "MPE5001"
    status = {p["system"]: p for p in answer["selfPersonalDataProvisionInfo"]["providerStatus"]}
    assert status["japan-pension"]["status"] == "unavailable"
    assert status["japan-pension"]["reason"]["fault"] == fault
    assert status["national-gov-mutual"]["status"] == "ok" and status["municipal"]["status"] == "ok"
    bodies = {k for d in personal_data(answer) for k in d}
    assert "国家公務員共済組合連合会" in bodies and "日本年金機構" not in bodies
    world.journal.verify(1, system="japan-pension", process_id=pid, status=503)
    world.journal.verify(1, system="national-gov-mutual", process_id=pid, status=200)


def test_conformance_plan_driven_by_the_flow(world, tmp_path):
    """A conformance run judges this client: happy path (latest) and consent refused."""
    world.clock.set(WEEKDAY_10AM, frozen=False)
    api = ApiUserClient(world.sp_url, BANK, CB, world.ca_file)
    complete_screens = world.conformance.supports_complete_screens(BANK)
    with NotificationReceiver() as rx:
        world.connections.patch(BANK, {"notification_url": rx.url})
        # consent-refused judges the app's own authorize: only with complete_screens.
        plan = ["happy-path:latest", "consent-refused"] if complete_screens else ["happy-path:latest"]
        run = world.conformance.start(BANK, plan, complete_screens=True if complete_screens else None)

        def on_test(current):
            # The app's own authorize when mynasim completes the screens; else the test path
            # with the announced persona (not judged, but the rest of the flow is).
            persona = None if complete_screens else run.persona["id"]
            outcome = None if complete_screens else current["action"]
            try:
                auth = world.authorize(BANK, CB, persona=persona, outcome=outcome,
                                       state="st-" + current["name"], pkce=True)
            except mn.AuthorizationError as e:
                assert current["action"] == "refuse" and e.error == "access_denied"
                return
            token = api.token(auth.code, auth.code_verifier)
            tid, pid = api.request(token, "Latest")
            rx.wait_for(pid)
            api.result(token, tid, pid)

        run.wait(timeout=40, on_test=on_test)
    assert set(run.verdicts.values()) == {"pass"}, run.tests
    assert "happy-path[latest]" in run.verdicts and run.passed
    xml = run.write_junit(tmp_path / "conformance.xml")
    suite = ET.fromstring(xml)
    assert suite.get("tests") == str(len(plan)) and suite.get("failures") == "0"
    assert "happy-path" in run.report("markdown")

"""Supervisors over HTTP: the flag list and its filters, acknowledging and closing findings, the
quarterly scorecard, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest

from tests.supervision.harness import Teller, Watch
from tests.support import Desk

FLAGS = "/v1/supervision/flags"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def at(day: str, clock: str = "09:00:00") -> str:
    return f"2026-11-{day}T{clock}+08:00"


def get(desk: Desk, path: str, by: str = "SUPERVISOR", **params: str) -> dict[str, Any]:
    response = desk.client.get(path, params=params, headers=desk.as_(by))
    assert response.status_code == 200, response.text
    return dict(response.json())


def post(desk: Desk, path: str, body: dict[str, Any], by: str = "SUPERVISOR") -> Any:
    return desk.client.post(path, json=body, headers=desk.as_(by))


@pytest.fixture
def two_findings(teller: Teller, watch: Watch) -> dict[str, Any]:
    """Given a LAND refusal without legal basis (Mon 11-02) and a CIVIL immediate case left
    open overnight (flagged Tue 11-03)."""
    teller.at(at("02"))
    teller.tell("case.received", "API-R")
    teller.tell("case.refused", "API-R", legal_basis="")
    teller.accept("API-I", item="CIVIL-MARRY")
    watch.run(at("03", "08:00:00"))
    flags = get(teller.desk, FLAGS, **NOVEMBER)["flags"]
    return {f["rule"]: f for f in flags}


def test_the_flag_list_shows_rule_subject_evidence_and_time_and_filters_them(
    desk: Desk, two_findings: dict[str, Any]
) -> None:
    refusal = two_findings["refusal_without_basis"]
    assert refusal["subject"] == {"kind": "case", "id": "API-R"}
    assert refusal["raised_at"] == "2026-11-02T09:00:00+08:00"
    assert len(refusal["evidence"]) == 1 and refusal["status"] == "open"

    def rules(**params: str) -> list[str]:
        return [f["rule"] for f in get(desk, FLAGS, **(NOVEMBER | params))["flags"]]

    assert rules(department="CIVIL") == ["immediate_not_same_day"]
    assert rules(rule="refusal_without_basis") == ["refusal_without_basis"]
    assert rules(**{"from": "2026-11-03", "to": "2026-11-03"}) == ["immediate_not_same_day"]
    assert rules(status="closed") == []
    assert get(desk, FLAGS, by="AUDITOR", **NOVEMBER)["flags"]


def test_a_supervisor_acknowledges_then_closes_a_finding_with_a_reason(
    desk: Desk, two_findings: dict[str, Any], watch: Watch
) -> None:
    finding = two_findings["refusal_without_basis"]
    path = f"{FLAGS}/{finding['id']}"

    acknowledged = post(desk, f"{path}/acknowledge", {"note": "已约谈窗口负责人"})
    again = post(desk, f"{path}/acknowledge", {"note": "再次确认"})
    closed = post(desk, f"{path}/close", {"reason": "已补充法律依据告知申请人"})
    closed_again = post(desk, f"{path}/close", {"reason": "重复"})

    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged"]["by"] == "SUPERVISOR"
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_acknowledged")
    assert closed.json()["closed"] | {"at": None} == {
        "by": "SUPERVISOR",
        "reason": "已补充法律依据告知申请人",
        "at": None,
        "automatic": False,
    }
    assert (closed_again.status_code, closed_again.json()["error"]["code"]) == (
        409,
        "finding_closed",
    )
    # and supervision, looking again while the condition still holds, raises nothing new
    watch.run(at("03", "09:00:00"))
    assert [f["status"] for f in watch.flags("refusal_without_basis")] == ["closed"]
    assert get(desk, path)["status"] == "closed"


def test_an_acknowledged_finding_closes_by_itself_when_its_condition_clears(
    teller: Teller, desk: Desk, watch: Watch
) -> None:
    teller.at(at("02")).accept("API-S")
    watch.run(at("06", "08:00:00"))
    (stalled,) = watch.open("step_stalled")
    post(desk, f"{FLAGS}/{stalled['id']}/acknowledge", {"note": "科长出差, 已督促"})

    teller.at(at("06", "10:00:00")).tell("case.signed", "API-S", location="hall")
    watch.run()

    (after,) = watch.flags("step_stalled")
    assert after["status"] == "closed" and after["closed"]["automatic"] is True
    assert after["acknowledged"]["note"] == "科长出差, 已督促"


def test_roles_and_bad_requests_are_answered_with_the_contract_errors(
    desk: Desk, two_findings: dict[str, Any]
) -> None:
    path = f"{FLAGS}/{two_findings['refusal_without_basis']['id']}"

    assert desk.client.get(FLAGS).status_code == 401
    assert desk.client.get(FLAGS, headers=desk.as_("W-12")).status_code == 403
    assert post(desk, f"{path}/acknowledge", {"note": "看过"}, by="AUDITOR").status_code == 403
    assert post(desk, f"{path}/acknowledge", {}).status_code == 422
    assert post(desk, f"{path}/close", {"reason": ""}).status_code == 422
    unknown = post(desk, f"{FLAGS}/00000000-0000-0000-0000-000000000000/close", {"reason": "x"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "finding_not_found")
    for params in (
        {"rule": "no_such_rule"},
        {"status": "lost"},
        {"from": "2026-12-01", "to": "2026-11-01"},
    ):
        response = desk.client.get(FLAGS, params=params, headers=desk.as_("SUPERVISOR"))
        assert response.status_code == 422, response.text
    quarter = desk.client.get(
        "/v1/reports/scorecard", params={"quarter": "2026Q5"}, headers=desk.as_("SUPERVISOR")
    )
    assert quarter.status_code == 422


def test_the_scorecard_rates_each_department_and_window_on_time_findings_and_ratings(
    teller: Teller, desk: Desk, watch: Watch
) -> None:
    # Given LAND cases accepted Mon 11-02 (due Mon 11-09): one completed in time, one late,
    # one still open; and a CIVIL marriage completed on the spot
    teller.at(at("02"))
    for case_no in ("SC-1", "SC-2", "SC-3"):
        teller.accept(case_no)
    teller.accept("SC-4", item="CIVIL-MARRY")
    teller.at(at("02", "11:00:00")).tell("case.completed", "SC-4", by="W-3", location="hall")
    teller.tell("evaluation.submitted", "SC-4", by="W-3", rating=4)
    teller.at(at("04")).tell("case.completed", "SC-1", location="hall")
    teller.tell("evaluation.submitted", "SC-1", rating=5)
    teller.at(at("12")).tell("case.completed", "SC-2", location="hall")
    teller.tell("evaluation.submitted", "SC-2", rating=1)
    watch.run(at("13"))

    card = get(desk, "/v1/reports/scorecard", quarter="2026Q4")

    land = next(r for r in card["departments"] if r["department"] == "LAND")
    window = next(r for r in card["windows"] if r["window_no"] == "12")
    civil = next(r for r in card["departments"] if r["department"] == "CIVIL")
    assert (card["from"], card["to"]) == ("2026-10-01", "2026-12-31")
    assert (land["accepted"], land["completed"], land["on_time"], land["on_time_rate"]) == (
        3,
        2,
        1,
        "50.00",
    )
    assert land["ratings"] | {"by_level": None} == {
        "count": 2,
        "by_level": None,
        "satisfied": 1,
        "poor": 1,
        "satisfaction_rate": "50.00",
        "average": "3.00",
    }
    assert window | {"window_no": None} == land | {"department": "LAND", "window_no": None}
    assert (civil["on_time_rate"], civil["ratings"]["satisfaction_rate"]) == ("100.00", "100.00")
    listed = get(desk, FLAGS, department="LAND", **{"from": "2026-10-01", "to": "2026-12-31"})
    assert land["findings"]["total"] == len(listed["flags"]) > 0
    assert land["findings"]["by_rule"]["overdue"] >= 2

"""The reports over HTTP: the completion report and the monthly bulletin, as JSON, xlsx, HTML.

Given October 2026 at the hall: LAND (promised, 5 working days) accepted three cases on Mon 10-12,
due Mon 10-19 — one completed 10-14 (early), one 10-20 (1 working day late), one still open;
CIVIL (immediate) completed two on the spot, rated 5 and 2.  Read as of Mon 11-02 noon, when the
open one is 10 working days overdue (10/20-10/23, 10/26-10/30, 11/2).
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

import projections.api
from hall.http.app import create_app
from hall.runtime import Hall
from projections.completion import Completion
from projections.exports import BULLETIN_COLUMNS, completion_columns, value_at
from tests.projections.harness import followers
from tests.support import Desk, event

AS_OF = "2026-11-02T12:00:00+08:00"


@pytest.fixture
def desk(hall: Hall) -> Iterator[Desk]:
    """A hall whose app serves the reports from followers caught up before each read."""
    f = followers(hall, Completion)
    hall.followers = f  # type: ignore[attr-defined]
    app = create_app(hall=hall)
    if not any(getattr(r, "path", "") == "/v1/reports/completion" for r in app.routes):
        app.include_router(projections.api.router)
    with TestClient(app) as client:
        yield Desk(client).with_catalogue()
    f.stop()


@pytest.fixture
def october(desk: Desk, hall: Hall) -> Desk:
    def at(day: str, time: str = "09:00") -> str:
        return f"2026-10-{day}T{time}:00+08:00"

    for case_no, done in (("2026-B1", at("14")), ("2026-B2", at("20")), ("2026-B3", None)):
        walk = [event("case.accepted", case_no, occurred_at=at("12"))]
        if done:
            walk.append(event("case.completed", case_no, location="hall", occurred_at=done))
        desk.record(*walk)
    for case_no, day, rating in (("2026-M1", "12", 5), ("2026-M2", "13", 2)):
        desk.record(
            event("case.accepted", case_no, item_code="CIVIL-MARRY", window_no="3",
                  occurred_at=at(day)),
            event("case.completed", case_no, location="hall", occurred_at=at(day, "09:30")),
            event("evaluation.submitted", case_no, rating=rating, occurred_at=at(day, "10:00")),
            by="W-3",
        )  # fmt: skip
    hall.followers.catch_up()  # type: ignore[attr-defined]
    return desk


def get(desk: Desk, path: str, who: str = "SUPERVISOR", **params: str) -> Any:
    response = desk.client.get(path, params=params, headers=desk.as_(who))
    assert response.status_code == 200, response.text
    return response


def test_the_completion_report_follows_the_protocol(october: Desk) -> None:
    report = get(october, "/v1/reports/completion", **{
        "from": "2026-10-01", "to": "2026-10-31", "as_of": AS_OF, "group_by": "department"
    }).json()  # fmt: skip

    assert report["from"] == "2026-10-01"
    assert report["as_of"] == AS_OF
    assert report["total"] == {"accepted": 5, "completed": 4, "rate": "80.00"}
    assert report["immediate"] == {
        "accepted": 2, "completed_on_spot": 2, "rate": "100.00", "completed": 2,
    }  # fmt: skip
    assert report["promised"] == {
        "accepted": 3, "completed": 2, "rate": "66.67", "on_time": 1, "on_time_rate": "50.00",
        "overdue_open": 1, "completed_late": 1, "early": 1, "avg_working_days": "4.00",
        "speedup_rate": "80.00",
    }  # fmt: skip
    assert report["joint"]["rate"] is None
    assert "forwarded" not in report
    assert report["fees"] == {
        "collected": "0.00", "refunded": "0.00", "remitted": "0.00", "unremitted": "0.00",
    }  # fmt: skip
    assert [(r["key"], r["name"], r["total"]["accepted"]) for r in report["rows"]] == [
        ("CIVIL", "民政局", 2), ("LAND", "国土资源局", 3),
    ]  # fmt: skip


def test_the_year_end_table_holds_the_same_numbers_as_the_json(october: Desk) -> None:
    params = {"from": "2026-10-01", "to": "2026-10-31", "as_of": AS_OF, "group_by": "item"}
    report = get(october, "/v1/reports/completion", **params).json()
    response = get(october, "/v1/reports/completion", **params, format="xlsx")

    sheet = load_workbook(BytesIO(response.content)).active
    columns = completion_columns(report)
    headers = [cell.value for cell in sheet[4]][1:]
    cells = [[cell.value for cell in row][1:] for row in sheet.iter_rows(min_row=5)]
    expected = [[value_at(r, path) for _, _, path in columns] for r in [*report["rows"], report]]

    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert sheet["A3"].value == "事项"
    assert headers[:6] == ["受理", "办结", "办结率(%)", "受理", "当场办结", "办结率(%)"]
    assert cells == expected
    assert [row[0].value for row in sheet.iter_rows(min_row=5)][-1] == "合计"


def test_the_bulletin_lists_units_overdue_cases_and_the_ranking(october: Desk) -> None:
    bulletin = get(october, "/v1/reports/bulletin", month="2026-10", as_of=AS_OF).json()

    land, civil = (next(u for u in bulletin["departments"] if u["key"] == k)
                   for k in ("LAND", "CIVIL"))  # fmt: skip
    assert (bulletin["from"], bulletin["to"]) == ("2026-10-01", "2026-10-31")
    assert land == {
        "key": "LAND", "name": "国土资源局", "accepted": 3, "completed": 2, "rate": "66.67",
        "on_time": 1, "on_time_rate": "50.00", "overdue": 2, "overdue_open": 1,
        "completed_late": 1, "avg_working_days": "4.00",
        "fees": {"collected": "0.00", "refunded": "0.00", "remitted": "0.00",
                 "unremitted": "0.00"},
        "ratings": {"count": 0, "satisfied_rate": None, "unsatisfied_rate": None},
    }  # fmt: skip
    assert civil["ratings"] == {"count": 2, "satisfied_rate": "50.00", "unsatisfied_rate": "50.00"}
    assert civil["on_time_rate"] is None
    assert [(c["case_no"], c["status"], c["due_date"], c["working_days_overdue"],
             c["department_name"], c["item_name"]) for c in bulletin["overdue"]] == [
        ("2026-B3", "open", "2026-10-19", 10, "国土资源局", "土地登记"),
        ("2026-B2", "completed_late", "2026-10-19", 1, "国土资源局", "土地登记"),
    ]  # fmt: skip
    assert [u["key"] for u in bulletin["top"]] == ["LAND"]
    assert bulletin["bottom"] == []  # a single ranked unit is not also the last
    assert bulletin["summary"]["total"] == {"accepted": 5, "completed": 4, "rate": "80.00"}


def test_the_bulletin_as_xlsx_and_html_shows_the_json_figures(october: Desk) -> None:
    bulletin = get(october, "/v1/reports/bulletin", month="2026-10", as_of=AS_OF).json()
    book = load_workbook(BytesIO(get(october, "/v1/reports/bulletin", month="2026-10",
                                     as_of=AS_OF, format="xlsx").content))  # fmt: skip
    page = get(october, "/v1/reports/bulletin", month="2026-10", as_of=AS_OF, format="html")

    units = book["各单位情况"]
    cells = [[cell.value for cell in row][1:] for row in units.iter_rows(min_row=5)]
    summary = bulletin["summary"]
    total = {**summary["total"], "fees": summary["fees"], "ratings": summary["ratings"]}
    expected = [[value_at(u, path) for _, _, path in BULLETIN_COLUMNS]
                for u in [*bulletin["departments"], total]]  # fmt: skip
    assert cells == expected
    assert [r[1].value for r in book["超期件"].iter_rows(min_row=5)] == ["2026-B3", "2026-B2"]
    assert book.sheetnames == ["各单位情况", "超期件", "排名"]
    assert page.headers["content-type"].startswith("text/html")
    for text in ("2026年10月工作简报", "国土资源局", "超期件（2 件）", "2026-B3", "66.67"):
        assert text in page.text


@pytest.mark.parametrize("who", ["SUPERVISOR", "AUDITOR", "admin"])
def test_supervisors_auditors_and_admins_read_reports(desk: Desk, who: str) -> None:
    get(desk, "/v1/reports/completion", who, **{"from": "2026-01-01", "to": "2026-12-31"})
    get(desk, "/v1/reports/bulletin", who, month="2026-10")


@pytest.mark.parametrize(("who", "status"), [("W-12", 403), ("CASHIER", 403), (None, 401)])
def test_others_may_not_read_reports(desk: Desk, who: str | None, status: int) -> None:
    headers = desk.as_(who) if who else {}
    for path, params in (("/v1/reports/completion", {"from": "2026-01-01", "to": "2026-01-31"}),
                         ("/v1/reports/bulletin", {"month": "2026-10"})):  # fmt: skip
        response = desk.client.get(path, params=params, headers=headers)
        assert response.status_code == status


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13-01", "to": "2026-12-31"},
        {"from": "20260101", "to": "2026-12-31"},
        {"from": "2026-1-1", "to": "2026-12-31"},
        {"from": "2026-12-31", "to": "2026-01-01"},
        {"from": "2026-01-01"},
        {"from": "2026-01-01", "to": "2026-12-31", "group_by": "staff"},
        {"from": "2026-01-01", "to": "2026-12-31", "format": "pdf"},
        {"from": "2026-01-01", "to": "2026-12-31", "as_of": "2026-06-01T12:00:00"},
        {"from": "2026-01-01", "to": "2026-12-31", "as_of": "yesterday"},
        {"from": "2026-01-01", "to": "2026-12-31", "as_of": "0001-01-01T00:00:00+14:00"},
        {"from": "9999-12-01", "to": "9999-12-31"},
    ],
)
def test_a_malformed_completion_query_gets_422(desk: Desk, params: dict[str, str]) -> None:
    response = desk.client.get("/v1/reports/completion", params=params, headers=desk.as_("admin"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


BAD_MONTHS = [{"month": "2026-13"}, {"month": "2026-10-01"}, {},
              {"month": "2026-10", "format": "pdf"}, {"month": "9999-12"}]  # fmt: skip


@pytest.mark.parametrize("params", BAD_MONTHS)
def test_a_malformed_bulletin_query_gets_422(desk: Desk, params: dict[str, str]) -> None:
    response = desk.client.get("/v1/reports/bulletin", params=params, headers=desk.as_("admin"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"

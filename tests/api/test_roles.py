"""Who may do what: 401 without a valid token, 403 without the right role (protocol.md, roles).

The grid below is written out by hand from protocol.md, "Authentication and roles", and is not
derived from the routes' ``requires(...)``: it is the contract the code is checked against.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from httpx import Response

from hall.http.app import create_app
from tests.api.answers import error_of
from tests.support import ADMIN, ITEMS, Desk, event

CASE = "2026-000123"
RECEIPT = "R-ROLES"
STATEMENT = f"date,bank_ref,receipt_no,amount,kind\n2026-03-02,B-1,{RECEIPT},1.00,paid\n"
FINDING, NONE = "/v1/supervision/flags/{finding_id}", "00000000-0000-0000-0000-000000000000"
_numbers = itertools.count(1)


def fresh(prefix: str) -> str:
    """A number or id nobody has used yet in this run."""
    return f"{prefix}-{next(_numbers):06d}"


# -- the requests, one per endpoint (and one per kind of event for POST /v1/events) ---------

Send = Callable[[Desk, dict[str, str]], Response]


@dataclass(frozen=True)
class Request:
    method: str
    route: str  # the route template, to check that the grid covers every endpoint of the app
    send: Send
    ok: int  # the answer when allowed


def _post(path: str, body: Callable[[], dict[str, Any]]) -> Send:
    return lambda desk, headers: desk.client.post(path, json=body(), headers=headers)


def _assessment() -> dict[str, Any]:
    return event("fee.assessed", CASE, lines=[{"fee_code": "F1", "amount": "1.00"}])


def _payment() -> dict[str, Any]:
    return event("fee.paid", CASE, receipt_no=fresh("R"), amount="1.00")


def _get(path: str) -> Send:
    return lambda desk, headers: desk.client.get(path, headers=headers)


def _put(path: str, body: dict[str, Any]) -> Send:
    return lambda desk, headers: desk.client.put(path, json=body, headers=headers)


def _register(desk: Desk, headers: dict[str, str]) -> Response:
    body = {"terminal_id": fresh("T"), "role": "auditor"}
    return desk.client.post("/v1/admin/terminals", json=body, headers=headers)


def _revoke(desk: Desk, headers: dict[str, str]) -> Response:
    victim = fresh("T")
    desk.terminal("auditor", victim)
    return desk.client.delete(f"/v1/admin/terminals/{victim}", headers=headers)


REQUESTS: dict[str, Request] = {
    "post a case event": Request(
        "POST", "/v1/events", _post("/v1/events", lambda: event("case.signed", CASE)), 200
    ),
    "post fee.assessed": Request("POST", "/v1/events", _post("/v1/events", _assessment), 200),
    "post fee.paid": Request("POST", "/v1/events", _post("/v1/events", _payment), 200),
    "put a department": Request(
        "PUT",
        "/v1/catalog/departments/{code}",
        _put("/v1/catalog/departments/LAND", {"name": "国土资源局"}),
        200,
    ),
    "put a window": Request(
        "PUT",
        "/v1/catalog/windows/{code}",
        _put("/v1/catalog/windows/12", {"department": "LAND", "name": "国土窗口"}),
        200,
    ),
    "put an item": Request(
        "PUT",
        "/v1/catalog/items/{code}",
        _put("/v1/catalog/items/LAND-REG", ITEMS["LAND-REG"]),
        200,
    ),
    "read a department": Request(
        "GET", "/v1/catalog/departments/{code}", _get("/v1/catalog/departments/LAND"), 200
    ),
    "list departments": Request(
        "GET", "/v1/catalog/departments", _get("/v1/catalog/departments"), 200
    ),
    "read a window": Request(
        "GET", "/v1/catalog/windows/{code}", _get("/v1/catalog/windows/12"), 200
    ),
    "list windows": Request("GET", "/v1/catalog/windows", _get("/v1/catalog/windows"), 200),
    "read an item": Request(
        "GET", "/v1/catalog/items/{code}", _get("/v1/catalog/items/LAND-REG"), 200
    ),
    "list items": Request("GET", "/v1/catalog/items", _get("/v1/catalog/items"), 200),
    "read a case": Request("GET", "/v1/cases/{case_no}", _get(f"/v1/cases/{CASE}"), 200),
    "read a case's history": Request(
        "GET", "/v1/cases/{case_no}/history", _get(f"/v1/cases/{CASE}/history"), 200
    ),
    "read the audit log": Request("GET", "/v1/audit/events", _get("/v1/audit/events"), 200),
    "register a terminal": Request("POST", "/v1/admin/terminals", _register, 201),
    "revoke a terminal": Request("DELETE", "/v1/admin/terminals/{terminal_id}", _revoke, 204),
    "import a bank statement": Request(
        "POST",
        "/v1/billing/statements",
        _post("/v1/billing/statements", lambda: {"csv": STATEMENT}),
        200,
    ),
    "read a reconciliation": Request(
        "GET", "/v1/billing/reconciliation", _get("/v1/billing/reconciliation?date=2026-03-02"), 200
    ),
    "read a receipt": Request(
        "GET", "/v1/billing/receipts/{receipt_no}", _get(f"/v1/billing/receipts/{RECEIPT}"), 200
    ),
    "read the cash book": Request(
        "GET", "/v1/billing/ledger", _get("/v1/billing/ledger?date=2026-03-02"), 200
    ),
    "read unremitted fees": Request(
        "GET", "/v1/billing/unremitted", _get("/v1/billing/unremitted"), 200
    ),
    "list findings": Request("GET", "/v1/supervision/flags", _get("/v1/supervision/flags"), 200),
    # no such finding: an allowed role gets past the role check to a 404
    "read a finding": Request("GET", FINDING, _get(FINDING.format(finding_id=NONE)), 404),
    "acknowledge a finding": Request(
        "POST",
        FINDING + "/acknowledge",
        _post(FINDING.format(finding_id=NONE) + "/acknowledge", lambda: {"note": "已核实"}),
        404,
    ),
    "close a finding": Request(
        "POST",
        FINDING + "/close",
        _post(FINDING.format(finding_id=NONE) + "/close", lambda: {"reason": "已整改"}),
        404,
    ),
    "read the scorecard": Request(
        "GET", "/v1/reports/scorecard", _get("/v1/reports/scorecard?quarter=2026Q1"), 200
    ),
    "read the completion report": Request(
        "GET",
        "/v1/reports/completion",
        _get("/v1/reports/completion?from=2026-01-01&to=2026-12-31"),
        200,
    ),
    "read the bulletin": Request(
        "GET", "/v1/reports/bulletin", _get("/v1/reports/bulletin?month=2026-03"), 200
    ),
    "read the alert board": Request("GET", "/v1/alerts", _get("/v1/alerts"), 200),
    "list cases": Request("GET", "/v1/cases", _get("/v1/cases"), 200),
    "check health": Request("GET", "/healthz", _get("/healthz"), 200),
    "read the metrics": Request("GET", "/metrics", _get("/metrics"), 200),
}

# -- the grid: protocol.md, "Authentication and roles" ---------------------------------------
# window: case events and fee.assessed (own department); cashier: money events; supervisor:
# reports, alerts, history; auditor: read-only (history, audit log, reports); admin: everything.
# The catalogue and case reads are not given to a role by protocol.md; terminals need them to
# work, so every role may read them (a window only its own department's cases).  The billing
# endpoints came after protocol.md: importing a statement is money work (cashier), the books
# are reports (cashier, supervisor, auditor).  The alert board is the supervisors' (protocol.md);
# the management case list is a report (supervisor, auditor).

ROLES = ("window", "cashier", "supervisor", "auditor", "admin")
TERMINAL_OF = {
    "window": "W-12",
    "cashier": "CASHIER",
    "supervisor": "SUPERVISOR",
    "auditor": "AUDITOR",
    "admin": "admin",
}
Y, N = True, False

GRID: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    #                          window cashier supervisor auditor admin
    "post a case event":       (Y,    N,      N,         N,      Y),
    "post fee.assessed":       (Y,    Y,      N,         N,      Y),
    "post fee.paid":           (N,    Y,      N,         N,      Y),
    "put a department":        (N,    N,      N,         N,      Y),
    "put a window":            (N,    N,      N,         N,      Y),
    "put an item":             (N,    N,      N,         N,      Y),
    "read a department":       (Y,    Y,      Y,         Y,      Y),
    "list departments":        (Y,    Y,      Y,         Y,      Y),
    "read a window":           (Y,    Y,      Y,         Y,      Y),
    "list windows":            (Y,    Y,      Y,         Y,      Y),
    "read an item":            (Y,    Y,      Y,         Y,      Y),
    "list items":              (Y,    Y,      Y,         Y,      Y),
    "read a case":             (Y,    Y,      Y,         Y,      Y),
    "read a case's history":   (N,    N,      Y,         Y,      Y),
    "read the audit log":      (N,    N,      N,         Y,      Y),
    "register a terminal":     (N,    N,      N,         N,      Y),
    "revoke a terminal":       (N,    N,      N,         N,      Y),
    "import a bank statement": (N,    Y,      N,         N,      Y),
    "read a reconciliation":   (N,    Y,      Y,         Y,      Y),
    "read a receipt":          (N,    Y,      Y,         Y,      Y),
    "read the cash book":      (N,    Y,      Y,         Y,      Y),
    "read unremitted fees":    (N,    Y,      Y,         Y,      Y),
    "list findings":           (N,    N,      Y,         Y,      Y),
    "read a finding":          (N,    N,      Y,         Y,      Y),
    "acknowledge a finding":   (N,    N,      Y,         N,      Y),
    "close a finding":         (N,    N,      Y,         N,      Y),
    "read the scorecard":      (N,    N,      Y,         Y,      Y),
    "read the completion report": (N, N,      Y,         Y,      Y),
    "read the bulletin":       (N,    N,      Y,         Y,      Y),
    "read the alert board":    (N,    N,      Y,         N,      Y),
    "list cases":              (N,    N,      Y,         Y,      Y),
    "check health":            (Y,    Y,      Y,         Y,      Y),
    "read the metrics":        (Y,    Y,      Y,         Y,      Y),
}  # fmt: skip

DOCS = {"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}


def app_endpoints() -> Iterator[tuple[str, str]]:
    """(method, route) of every endpoint the app serves, documentation pages aside."""

    def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI >= 0.130 nests routers
            if included is not None:
                yield from walk(included.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute) and prefix + route.path not in DOCS:
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path

    return walk(create_app().routes)


ENDPOINTS = sorted(set(app_endpoints()))


@pytest.fixture
def land_case(desk: Desk) -> Desk:
    """A LAND case accepted at window 12, its fee assessed, 1.00 paid and on the statement."""
    desk.record(event("case.accepted", CASE))
    desk.record(event("fee.assessed", CASE))
    desk.record(event("fee.paid", CASE, receipt_no=RECEIPT, amount="1.00"), by="CASHIER")
    response = desk.client.post(
        "/v1/billing/statements", json={"csv": STATEMENT}, headers=desk.as_("CASHIER")
    )
    assert response.status_code == 200, response.text
    return desk


def test_the_grid_covers_every_endpoint_of_the_app() -> None:
    covered = {(r.method, r.route) for r in REQUESTS.values()}

    assert covered == set(ENDPOINTS)
    assert set(GRID) == set(REQUESTS)


# -- 401 --------------------------------------------------------------------------------------

SAMPLE_PARAMETERS = {"code": "LAND", "case_no": CASE, "terminal_id": "W-12", "receipt_no": RECEIPT}
OPEN = {"/healthz"}  # protocol.md: "GET /healthz (no token)"; every other request needs one
CREDENTIALS = {
    "no token": {},
    "an unknown token": {"Authorization": "Bearer not-a-token-anyone-was-given"},
    "another scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    "an empty bearer": {"Authorization": "Bearer "},
}


def concrete(route: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMETERS.get(m[1], "X-1"), route)


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_every_endpoint_but_healthz_answers_401_to_a_request_without_a_valid_token(
    land_case: Desk, credential: str
) -> None:
    # Given a hall with terminals and a case; When each endpoint is called with `credential`
    answers = {
        (method, route): land_case.client.request(
            method, concrete(route), headers=CREDENTIALS[credential]
        )
        for method, route in ENDPOINTS
    }

    # Then every one but the health check says 401, with the error body
    for (_, route), response in answers.items():
        if route in OPEN:
            assert response.status_code == 200, response.text
        else:
            error_of(response, 401, "unauthorized")
    # and nothing was changed on the way (W-12 was not revoked)
    assert land_case.case(CASE, by="W-12")["case_no"] == CASE


def test_the_metrics_need_a_token_like_every_endpoint_but_healthz(desk: Desk) -> None:
    error_of(desk.client.get("/metrics"), 401, "unauthorized")


# -- 403 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_a_role_may_do_exactly_what_the_protocol_grants_it(land_case: Desk, role: str) -> None:
    # Given a hall with a LAND case and a terminal of `role`
    headers = land_case.as_(TERMINAL_OF[role])
    column = ROLES.index(role)
    wrong: list[str] = []

    # When it makes every request of the grid
    for name, row in GRID.items():
        request = REQUESTS[name]
        response = request.send(land_case, headers)
        allowed = row[column]

        # Then each allowed one succeeds and each denied one is 403 with the error body
        if not allowed and response.status_code != 403:
            wrong.append(f"{name}: expected 403, got {response.status_code} {response.text}")
        elif not allowed:
            error_of(response, 403, "forbidden")
        elif response.status_code != request.ok:
            wrong.append(f"{name}: expected {request.ok}, got {response.status_code}")

    assert not wrong, "\n".join(wrong)


def test_an_admin_terminal_has_the_admin_tokens_rights(land_case: Desk) -> None:
    # Given a terminal registered with the admin role
    land_case.terminal("admin", "BACKOFFICE")

    # When it changes the catalogue and registers a terminal
    put = land_case.client.put(
        "/v1/catalog/departments/TAX", json={"name": "税务局"}, headers=land_case.as_("BACKOFFICE")
    )
    registered = _register(land_case, land_case.as_("BACKOFFICE"))

    # Then both are done
    assert put.status_code == 200, put.text
    assert registered.status_code == 201, registered.text


def test_a_window_terminal_may_not_post_for_another_departments_case(land_case: Desk) -> None:
    # Given a LAND case; When the CIVIL window (W-3) withdraws it
    withdrawal = event("case.withdrawn", CASE)
    response = land_case.post(withdrawal, by="W-3")

    # Then it is forbidden, the event named, and the case is untouched
    error_of(response, 403, "forbidden", event_index=0, event_id=withdrawal["event_id"])
    assert [e["type"] for e in land_case.history(CASE)["events"]] == ["case.accepted"]


def test_a_window_terminal_may_not_accept_a_case_of_another_departments_item(
    desk: Desk,
) -> None:
    # When the CIVIL window accepts a LAND item's case at the LAND window
    accepted = event("case.accepted", "2026-000900")
    response = desk.post(accepted, by="W-3")

    # Then it is forbidden and no case exists
    error_of(response, 403, "forbidden", event_index=0, event_id=accepted["event_id"])
    error_of(desk.client.get("/v1/cases/2026-000900", headers=ADMIN), 404, "not_found")


def test_a_window_terminal_may_not_read_another_departments_case(land_case: Desk) -> None:
    response = land_case.client.get(f"/v1/cases/{CASE}", headers=land_case.as_("W-3"))

    error_of(response, 403, "forbidden")


def test_a_cashier_may_not_post_a_case_event(land_case: Desk) -> None:
    # When the cashier posts a case event
    completion = event("case.completed", CASE)
    response = land_case.post(completion, by="CASHIER")

    # Then it is forbidden and names the event
    error_of(response, 403, "forbidden", event_index=0, event_id=completion["event_id"])
    assert land_case.case(CASE)["status"] != "completed"


def test_a_cashier_may_not_slip_a_case_event_into_a_batch(land_case: Desk) -> None:
    events = [event("case.signed", CASE), event("case.completed", CASE)]

    response = land_case.post(*events, by="CASHIER")

    error_of(response, 403, "forbidden", event_index=0, event_id=events[0]["event_id"])


@pytest.mark.parametrize(
    "kind", ["case.accepted", "case.withdrawn", "fee.assessed", "fee.paid", "remittance.made"]
)
def test_a_supervisor_may_post_nothing(land_case: Desk, kind: str) -> None:
    response = land_case.post(event(kind, CASE), by="SUPERVISOR")

    error_of(response, 403, "forbidden")


def test_an_auditor_may_post_nothing(land_case: Desk) -> None:
    response = land_case.post(event("case.withdrawn", CASE), by="AUDITOR")

    error_of(response, 403, "forbidden")


def test_an_auditor_reads_a_case_history(land_case: Desk) -> None:
    # Given a LAND case that was signed
    land_case.record(event("case.signed", CASE))

    # When the auditor reads its history
    response = land_case.client.get(f"/v1/cases/{CASE}/history", headers=land_case.as_("AUDITOR"))

    # Then every event is there, in order
    assert response.status_code == 200, response.text
    assert [e["type"] for e in response.json()["events"]] == ["case.accepted", "case.signed"]


def test_a_revoked_terminal_is_refused_right_after_the_revocation(land_case: Desk) -> None:
    # Given W-12 can read its case
    assert land_case.case(CASE, by="W-12")["case_no"] == CASE

    # When the admin revokes it
    revoked = land_case.client.delete("/v1/admin/terminals/W-12", headers=ADMIN)

    # Then its very next request is 401, reading as well as posting
    assert revoked.status_code == 204, revoked.text
    read = land_case.client.get(f"/v1/cases/{CASE}", headers=land_case.as_("W-12"))
    error_of(read, 401, "unauthorized")
    error_of(land_case.post(event("case.signed", CASE), by="W-12"), 401, "unauthorized")


def test_revoking_an_unknown_terminal_is_404(desk: Desk) -> None:
    response = desk.client.delete("/v1/admin/terminals/NOBODY", headers=ADMIN)

    error_of(response, 404, "not_found")


def test_revoking_a_terminal_twice_is_a_conflict(desk: Desk) -> None:
    desk.client.delete("/v1/admin/terminals/W-3", headers=ADMIN)

    response = desk.client.delete("/v1/admin/terminals/W-3", headers=ADMIN)

    error_of(response, 409, "terminal_revoked")

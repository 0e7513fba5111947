"""Story helpers: build a hall's state through the public HTTP API, as terminals would."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.contract.examples import EXAMPLES

if TYPE_CHECKING:
    from hall.settings import Settings

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

ITEMS: dict[str, dict[str, Any]] = {
    "LAND-REG": {  # a promised item decided at the window, with a fee
        "name": "土地登记",
        "department": "LAND",
        "kind": "promised",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "decision_at": "window",
        "fees": [{"code": "F1", "name": "登记费", "amount": "80.00"}],
        "steps": ["undertake", "review", "approve"],
    },
    "LAND-PAUSE": {  # 补正 pauses the clock instead of restarting it
        "name": "土地变更",
        "department": "LAND",
        "kind": "promised",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "decision_at": "back_office",
        "supplement_policy": "pause",
    },
    "CIVIL-MARRY": {  # an immediate item of another department
        "name": "婚姻登记",
        "department": "CIVIL",
        "kind": "immediate",
        "legal_limit_days": 1,
        "promised_limit_days": 0,
        "decision_at": "window",
    },
}


def event(kind: str, case_no: str = "2026-000123", **fields: Any) -> dict[str, Any]:
    """A valid event of ``kind`` with a fresh id, overridden by ``fields``."""
    body = copy.deepcopy(EXAMPLES[kind])
    body["event_id"] = str(uuid.uuid4())
    if "case_no" in body:
        body["case_no"] = case_no
    if kind in {"case.received", "case.accepted"}:
        body |= {"item_code": "LAND-REG", "window_no": "12"}
    return body | fields


class Desk:
    """The hall as seen by its terminals: an admin, window terminals, a cashier, readers."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens: dict[str, dict[str, str]] = {"admin": ADMIN}

    def with_catalogue(self) -> Desk:
        self.put("/v1/catalog/departments/LAND", {"name": "国土资源局"})
        self.put("/v1/catalog/departments/CIVIL", {"name": "民政局"})
        self.put("/v1/catalog/windows/12", {"department": "LAND", "name": "国土窗口"})
        self.put("/v1/catalog/windows/3", {"department": "CIVIL", "name": "民政窗口"})
        for code, item in ITEMS.items():
            self.put(f"/v1/catalog/items/{code}", item)
        self.terminal("window", "W-12", window_no="12")
        self.terminal("window", "W-3", window_no="3")
        for role in ("cashier", "supervisor", "auditor"):
            self.terminal(role, role.upper())
        return self

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.put(path, json=body, headers=ADMIN)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def terminal(self, role: str, terminal_id: str, window_no: str | None = None) -> str:
        body = {"terminal_id": terminal_id, "role": role, "window_no": window_no}
        response = self.client.post("/v1/admin/terminals", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        self.tokens[terminal_id] = {"Authorization": f"Bearer {response.json()['token']}"}
        return str(response.json()["token"])

    def as_(self, who: str) -> dict[str, str]:
        return self.tokens[who]

    def post(self, *events: dict[str, Any], by: str = "W-12") -> Response:
        body: Any = events[0] if len(events) == 1 else {"events": list(events)}
        answer: Response = self.client.post("/v1/events", json=body, headers=self.tokens[by])
        return answer

    def record(self, *events: dict[str, Any], by: str = "W-12") -> list[dict[str, Any]]:
        """Post and insist that it was recorded."""
        response = self.post(*events, by=by)
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    def case(self, case_no: str = "2026-000123", by: str = "W-12") -> dict[str, Any]:
        response = self.client.get(f"/v1/cases/{case_no}", headers=self.tokens[by])
        assert response.status_code == 200, response.text
        return dict(response.json())

    def history(self, case_no: str = "2026-000123", **params: str) -> dict[str, Any]:
        response = self.client.get(
            f"/v1/cases/{case_no}/history", params=params, headers=self.tokens["AUDITOR"]
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@contextmanager
def two_writers(settings: Settings) -> Iterator[tuple[Desk, Desk]]:
    """Two halls on one store, as two API processes are: each with its own writers and
    caches. The first publishes the catalogue and terminals; both desks share its tokens (the
    hall of each is ``desk.client.app.state.hall``)."""
    from hall.http.app import create_app
    from hall.runtime import Hall

    first, second = Hall.start(settings, follow=False), Hall.start(settings, follow=False)
    try:
        with TestClient(create_app(hall=first)) as a, TestClient(create_app(hall=second)) as b:
            desk_a = Desk(a).with_catalogue()
            desk_b = Desk(b)
            desk_b.tokens = desk_a.tokens
            yield desk_a, desk_b
    finally:
        first.close()
        second.close()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)  # polling a condition, with a deadline

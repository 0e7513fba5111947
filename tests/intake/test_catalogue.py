"""The catalogue: every change is an event; a case keeps the item version it was accepted under."""

from __future__ import annotations

from tests.support import ADMIN, ITEMS, Desk, event


def test_each_change_to_an_item_is_a_new_version_and_an_identical_put_is_not(desk: Desk) -> None:
    first = desk.client.get("/v1/catalog/items/LAND-REG", headers=ADMIN).json()

    changed = desk.put("/v1/catalog/items/LAND-REG", ITEMS["LAND-REG"] | {"promised_limit_days": 3})
    same = desk.put("/v1/catalog/items/LAND-REG", ITEMS["LAND-REG"] | {"promised_limit_days": 3})

    assert (first["version"], changed["version"], same["version"]) == (1, 2, 2)


def test_a_case_keeps_the_item_version_it_was_accepted_under(desk: Desk) -> None:
    desk.record(event("case.accepted", "2026-000100", occurred_at="2026-09-28T09:00:00+08:00"))

    desk.put("/v1/catalog/items/LAND-REG", ITEMS["LAND-REG"] | {"promised_limit_days": 3})
    desk.record(event("case.accepted", "2026-000101", occurred_at="2026-09-28T09:00:00+08:00"))

    old, new = desk.case("2026-000100"), desk.case("2026-000101")
    assert (old["item"]["version"], old["due_date"]) == (1, "2026-10-10")
    assert (new["item"]["version"], new["due_date"]) == (2, "2026-10-08")


def test_the_collections_list_every_entry_in_order_of_publication(desk: Desk) -> None:
    listed = desk.client.get("/v1/catalog/departments", headers=desk.as_("AUDITOR")).json()
    windows = desk.client.get("/v1/catalog/windows", headers=ADMIN).json()

    assert [d["code"] for d in listed["departments"]] == ["LAND", "CIVIL"]
    assert [(w["code"], w["department"]) for w in windows["windows"]] == [
        ("12", "LAND"),
        ("3", "CIVIL"),
    ]


def test_a_window_of_an_unknown_department_is_refused(desk: Desk) -> None:
    response = desk.client.put(
        "/v1/catalog/windows/99", json={"department": "NOPE", "name": "x"}, headers=ADMIN
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "unknown_catalogue_entry"


def test_an_item_promising_more_than_the_legal_limit_is_malformed(desk: Desk) -> None:
    body = ITEMS["LAND-REG"] | {"promised_limit_days": 30}

    response = desk.client.put("/v1/catalog/items/LAND-X", json=body, headers=ADMIN)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"

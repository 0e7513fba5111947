"""对账: a full day at the bank window, reconciled against the bank's statement."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hall.cli import app
from hall.runtime import Hall
from hall.settings import Settings
from services.billing.reconciliation import statement_id
from tests.api.answers import error_of
from tests.billing.money import (
    MONDAY,
    accepted_case,
    assessed,
    at,
    import_statement,
    paid,
    reconciliation,
    refunded,
    remitted,
)
from tests.support import ADMIN_TOKEN, Desk


def a_full_day(desk: Desk) -> dict[str, str]:
    """Given a day: two cases assessed and paid, a refund, a remittance of both receipts."""
    land, civil = accepted_case(desk), accepted_case(desk, civil=True)
    a, b = paid(land, "80.00", when=at(MONDAY, "09:30:00")), paid(civil, "120.50")
    desk.record(assessed(land, "80.00"), by="W-12")
    desk.record(assessed(civil, "100.00", "20.50"), by="W-3")
    desk.record(a, b, by="CASHIER")
    desk.record(
        refunded(civil, b["receipt_no"], "20.50", when=at(MONDAY, "10:00:00")), by="CASHIER"
    )
    batch = remitted([a["receipt_no"], b["receipt_no"]], "180.00", when=at(MONDAY, "15:00:00"))
    desk.record(batch, by="CASHIER")
    return {"a": a["receipt_no"], "b": b["receipt_no"], "batch": batch["batch_no"]}


def statement(r: dict[str, str], paid_b: str = "120.50") -> list[str]:
    return [
        f"{MONDAY},ICBC-1,{r['a']},80.00,paid",
        f"{MONDAY},ICBC-2,{r['b']},{paid_b},paid",
        f"{MONDAY},ICBC-3,{r['b']},20.5,refunded",
        f"{MONDAY},ICBC-4,{r['a']},80,remitted",
        f"{MONDAY},ICBC-4,{r['b']},100.00,remitted",
    ]


def test_a_full_day_reconciles_and_the_one_deliberate_mismatch_is_found(desk: Desk) -> None:
    # Given a full day, and a bank statement with one amount keyed in wrong (102.50 for 120.50)
    receipts = a_full_day(desk)

    # When the cashier imports it
    response = import_statement(desk, *statement(receipts, paid_b="102.50"))

    # Then the day is reconciled, and the difference is the only finding
    assert response.status_code == 200, response.text
    assert response.json()["days"] == [{"date": MONDAY, "status": "reconciled", "version": 1}]
    result = reconciliation(desk, by="AUDITOR")
    assert result["balanced"] is False
    assert result["differences"] == [
        {
            "receipt_no": receipts["b"],
            "kind": "paid",
            "hall_amount": "120.50",
            "bank_amount": "102.50",
            "bank_refs": ["ICBC-2"],
        }
    ]
    assert result["missing_at_bank"] == [] and result["missing_in_hall"] == []
    assert len(result["matched"]) == 4
    assert result["totals"]["hall"] == {"paid": "200.50", "refunded": "20.50", "remitted": "180.00"}
    assert result["totals"]["bank"]["paid"] == "182.50"


def test_a_correct_statement_balances(desk: Desk) -> None:
    receipts = a_full_day(desk)

    assert import_statement(desk, *statement(receipts)).status_code == 200

    result = reconciliation(desk, by="SUPERVISOR")
    assert result["balanced"] is True and len(result["matched"]) == 5


def test_movements_missing_on_either_side_are_listed(desk: Desk) -> None:
    # Given a full day; the bank reports a payment the hall never recorded and omits the refund
    receipts = a_full_day(desk)
    lines = statement(receipts)
    lines[2] = f"{MONDAY},ICBC-9,R-NOBODY,5.00,paid"

    import_statement(desk, *lines)

    result = reconciliation(desk)
    assert result["missing_at_bank"] == [
        {"receipt_no": receipts["b"], "kind": "refunded", "amount": "20.50"}
    ]
    assert result["missing_in_hall"] == [
        {"receipt_no": "R-NOBODY", "kind": "paid", "amount": "5.00", "bank_refs": ["ICBC-9"]}
    ]


def test_importing_the_same_statement_again_changes_nothing(desk: Desk, hall: Hall) -> None:
    # Given a day reconciled once
    receipts = a_full_day(desk)
    import_statement(desk, *statement(receipts, paid_b="102.50"))
    stored = list(hall.billing.events.get(statement_id(date.fromisoformat(MONDAY))))

    # When the same statement is imported again, its lines in another order
    again = import_statement(desk, *reversed(statement(receipts, paid_b="102.50")))

    # Then nothing new is recorded
    assert again.json()["days"] == [{"date": MONDAY, "status": "unchanged", "version": 1}]
    assert list(hall.billing.events.get(statement_id(date.fromisoformat(MONDAY)))) == stored
    assert reconciliation(desk)["version"] == 1


def test_a_corrected_statement_supersedes_the_earlier_reconciliation(desk: Desk) -> None:
    receipts = a_full_day(desk)
    import_statement(desk, *statement(receipts, paid_b="102.50"))

    corrected = import_statement(desk, *statement(receipts))

    assert corrected.json()["days"] == [{"date": MONDAY, "status": "reconciled", "version": 2}]
    result = reconciliation(desk)
    assert result["balanced"] is True
    assert (result["version"], result["superseded"]) == (2, 1)


def test_a_refund_after_remittance_shows_as_owed_back(desk: Desk) -> None:
    # Given a full day, and later that day 30.00 of the remitted receipt a goes back
    receipts = a_full_day(desk)
    case_no = desk.client.get(
        f"/v1/billing/receipts/{receipts['a']}", headers=desk.as_("CASHIER")
    ).json()["case_no"]
    desk.record(
        refunded(case_no, receipts["a"], "30.00", when=at(MONDAY, "16:30:00")), by="CASHIER"
    )

    import_statement(desk, *statement(receipts), f"{MONDAY},ICBC-5,{receipts['a']},30.00,refunded")

    result = reconciliation(desk)
    assert [(o["receipt_no"], o["amount"]) for o in result["owed_back"]] == [
        (receipts["a"], "30.00")
    ]
    assert result["balanced"] is True


def test_a_statement_may_cover_several_days(desk: Desk) -> None:
    receipts = a_full_day(desk)

    response = import_statement(
        desk, *statement(receipts), f"2026-03-03,X-1,{receipts['a']},1,paid"
    )

    assert [d["date"] for d in response.json()["days"]] == [MONDAY, "2026-03-03"]
    assert reconciliation(desk, "2026-03-03")["missing_in_hall"][0]["amount"] == "1.00"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("2026-03-02,B-1,R-1,12.345,paid", "line 2: amount"),
        ("2026-03-02,B-1,R-1,-1,paid", "line 2: amount"),
        ("2026-03-02,B-1,R-1,1e3,paid", "line 2: amount"),
        ("2026-03-02,B-1,R-1,abc,paid", "line 2: amount"),
        ("2026-02-30,B-1,R-1,1.00,paid", "line 2: no such date"),
        ("03/02/2026,B-1,R-1,1.00,paid", "line 2: date"),
        ("2026-03-02,B-1,R-1,1.00,paid,extra", "line 2: expected 5 columns"),
        ("2026-03-02,B-1,R-1,1.00,fee", "line 2: kind"),
        ("2026-03-02,,R-1,1.00,paid", "line 2: bank_ref"),
    ],
)
def test_a_statement_that_cannot_be_read_is_refused_naming_the_line(
    desk: Desk, line: str, says: str
) -> None:
    error = error_of(import_statement(desk, line), 422, "bad_statement")

    assert says in error["message"]
    assert nothing_reconciled(desk)


def test_an_empty_statement_is_refused(desk: Desk) -> None:
    error_of(import_statement(desk), 422, "bad_statement")


def test_a_day_without_a_statement_has_no_reconciliation(desk: Desk) -> None:
    assert nothing_reconciled(desk)


def nothing_reconciled(desk: Desk) -> bool:
    response = desk.client.get(
        "/v1/billing/reconciliation", params={"date": MONDAY}, headers=desk.as_("CASHIER")
    )
    return error_of(response, 404, "not_found") is not None


def test_the_command_line_imports_a_statement_file(
    desk: Desk, settings: Settings, tmp_path: Path
) -> None:
    # Given a full day and the bank's file on disk (with a byte-order mark, as banks write it)
    receipts = a_full_day(desk)
    file = tmp_path / "statement.csv"
    file.write_text("\ufeff" + "\n".join(statement(receipts)) + "\n", encoding="utf-8")

    # When the operator runs `hall billing import-statement FILE` twice
    first = CliRunner().invoke(app, ["billing", "import-statement", str(file)], env=_env(settings))
    second = CliRunner().invoke(app, ["billing", "import-statement", str(file)], env=_env(settings))

    # Then the day is reconciled once, and the hall reads the result
    assert first.exit_code == 0, first.output
    assert '"status": "reconciled"' in first.output
    assert '"status": "unchanged"' in second.output
    assert reconciliation(desk)["balanced"] is True


def test_the_command_line_refuses_a_bad_statement(settings: Settings, tmp_path: Path) -> None:
    file = tmp_path / "statement.csv"
    file.write_text("2026-03-02,B-1,R-1,abc,paid\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["billing", "import-statement", str(file)], env=_env(settings))

    assert result.exit_code == 1
    assert "line 1: amount" in result.output


def _env(settings: Settings) -> dict[str, str]:
    env = {"HALL_DATA_DIR": str(settings.data_dir), "HALL_ADMIN_TOKEN": ADMIN_TOKEN}
    if settings.database_url is not None:
        env |= {
            "HALL_DATABASE_URL": settings.database_url,
            "HALL_DATABASE_SCHEMA": settings.database_schema,
        }
    return env

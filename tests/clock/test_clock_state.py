"""A case's clock kept between projection batches as plain data comes back the same."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date

from services.intake.deadline import CaseClock


def test_the_plain_form_holds_every_field_and_reads_back_equal() -> None:
    clock = CaseClock(
        status="accepted",
        limit_days=20,
        pause_on_supplement=True,
        received_on=date(2026, 3, 2),
        accepted_on=date(2026, 3, 4),
        first_notice_on=date(2026, 3, 3),
        restarted_on=date(2026, 3, 9),
        supplement_since=date(2026, 3, 12),
        extension_days=10,
        pauses=[(date(2026, 3, 5), date(2026, 3, 6))],
        open_pauses={"procedure": date(2026, 3, 10)},
    )

    plain = json.loads(json.dumps(clock.to_dict()))

    assert set(plain) == {f.name for f in fields(CaseClock)}
    assert CaseClock.from_dict(plain) == clock
    assert CaseClock.from_dict(CaseClock().to_dict()) == CaseClock()

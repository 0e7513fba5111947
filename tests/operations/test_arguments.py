"""Contract values as commands take them (``services.arguments.domain_value``)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from events import parse_event
from services.arguments import domain_value
from tests.contract.examples import EXAMPLES
from tests.support import event


def _through_pydantic(value: Any) -> Any:
    """What ``domain_value`` stands for, with pydantic's own ``dict(model)``."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return {k: _through_pydantic(v) for k, v in dict(value).items()}
    if isinstance(value, list):
        return [_through_pydantic(v) for v in value]
    return value


def test_every_field_of_every_event_type_as_pydantic_lists_it() -> None:
    models = 0
    for kind in EXAMPLES:
        posted = parse_event(event(kind))
        for name in type(posted).model_fields:
            value = getattr(posted, name)
            items = value if isinstance(value, list) else [value]
            models += any(isinstance(v, BaseModel) for v in items)
            assert domain_value(value) == _through_pydantic(value), (kind, name)
    assert models >= 2  # an applicant and fee lines at least


def test_fee_lines_become_dicts_and_enums_their_text() -> None:
    assessed = parse_event(event("fee.assessed", lines=[{"fee_code": "F1", "amount": "80.5"}]))
    paid = parse_event(event("fee.paid"))

    assert domain_value(assessed.lines) == [{"fee_code": "F1", "amount": Decimal("80.50")}]
    method = domain_value(paid.method)
    assert type(method) is str and method == paid.method.value

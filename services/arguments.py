"""Contract values as the domain's commands take them."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel


def domain_value(value: Any) -> Any:
    """Enums as their text, models as dicts, lists item by item: what the stored JSON holds
    and an aggregate read back from the store has, so a writer's copy does not differ from it
    (and orjson, which refuses enums, writes it rather than the library's slower encoder)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return {k: domain_value(v) for k, v in dict(value).items()}
    if isinstance(value, list):
        return [domain_value(v) for v in value]
    return value

"""export_schema() publishes the contract as a JSON Schema (draft 2020-12) document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from events import SCHEMA_VERSION, TYPES, export_schema

from .examples import EXAMPLES, example, without


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return export_schema()


def test_the_schema_is_plain_json_with_its_identity_and_version(schema: dict[str, Any]) -> None:
    assert json.loads(json.dumps(schema)) == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://hall.example/schema/events/{SCHEMA_VERSION}"
    assert schema["x-schema-version"] == SCHEMA_VERSION == "1.1.0"
    assert schema["title"]


def test_the_schema_lists_every_event_type(schema: dict[str, Any]) -> None:
    event = schema["$defs"]["Event"]
    assert event["discriminator"]["propertyName"] == "type"
    assert set(event["discriminator"]["mapping"]) == set(TYPES)
    assert len(event["oneOf"]) == len(TYPES)


def test_the_schema_requires_the_type_of_every_event(schema: dict[str, Any]) -> None:
    for model in TYPES.values():
        assert "type" in schema["$defs"][model.__name__]["required"]


def test_the_batch_form_holds_one_to_five_hundred_events(schema: dict[str, Any]) -> None:
    events = schema["$defs"]["EventBatch"]["properties"]["events"]
    assert (events["minItems"], events["maxItems"]) == (1, 500)


def test_the_examples_and_only_valid_bodies_pass_the_schema(schema: dict[str, Any]) -> None:
    import jsonschema_rs

    assert jsonschema_rs.meta.is_valid(schema)
    validator = jsonschema_rs.validator_for(schema)
    for raw in EXAMPLES.values():
        assert validator.is_valid(raw), raw["type"]
    assert validator.is_valid({"events": [EXAMPLES["fee.paid"], EXAMPLES["remittance.made"]]})
    assert not validator.is_valid(example("fee.paid", amount="0.00"))
    assert not validator.is_valid(example("fee.paid", amount=80))
    assert not validator.is_valid(example("fee.paid", tip="1.00"))
    assert not validator.is_valid(without("fee.paid", "type"))
    assert not validator.is_valid({"events": []})

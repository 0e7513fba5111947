"""Fuzzing: whatever a client sends, the hall never answers 5xx, and every error keeps its shape.

Schemathesis generates requests from the app's own OpenAPI schema, valid ones and (where the
schema constrains anything) invalid ones; Hypothesis throws random JSON objects at
``POST /v1/events``.  Both are bounded and derandomised, so a run is repeatable and quick.
Requests go through the ``desk``'s client, so the fuzz runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from events.registry import TYPES
from hall.http.app import create_app
from tests.api.answers import error_of, is_error_body
from tests.support import ADMIN, Desk, event

OPENAPI = create_app().openapi()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}


def constrains_anything(label: str) -> bool:
    """Whether the operation has a parameter or a body schema, i.e. an invalid request exists.

    POST /v1/events takes any JSON (its body schema is {}): the test below covers it instead.
    """
    method, path = label.split(" ", 1)
    spec = OPENAPI["paths"][path][method.lower()]
    body = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    return bool(spec.get("parameters")) or bool(body.get("schema"))


RUNS = [
    pytest.param(label, mode, id=f"{label} ({mode.value})")
    for label in OPERATIONS
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or constrains_anything(label)
]
BOUNDED = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def sent(desk: Desk, case: schemathesis.Case) -> Any:
    """Send a generated case through the desk's client, as the admin."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=ADMIN)
    kwargs.pop("cookies", None)
    if "data" in kwargs:  # a raw body: httpx calls it content
        kwargs["content"] = kwargs.pop("data")
    return desk.client.request(**kwargs)


def explain(case: schemathesis.Case, response: Any) -> str:
    return f"{case.as_curl_command()}\n→ {response.status_code} {response.text[:2000]}"


@pytest.mark.parametrize(("label", "mode"), RUNS)
def test_no_operation_answers_a_server_error(desk: Desk, label: str, mode: GenerationMode) -> None:
    # Given a hall with a catalogue and terminals
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy(generation_mode=mode))
    @BOUNDED
    def fuzz(case: schemathesis.Case) -> None:
        # When the admin sends whatever the schema allows (or forbids)
        response = sent(desk, case)

        # Then the hall never fails, and an error is the contract's error body
        assert response.status_code < 500, explain(case, response)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            assert is_error_body(response.json()), explain(case, response)

    fuzz()


# -- random objects at POST /v1/events --------------------------------------------------------

JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KNOWN_TYPES = st.sampled_from(sorted(TYPES))
KEYS = st.sampled_from(
    ["event_id", "case_no", "occurred_at", "staff_id", "item_code", "window_no", "applicant",
     "materials", "lines", "amount", "receipts", "rating", "events", "type"]
) | st.text(max_size=12)  # fmt: skip


@st.composite
def posted_objects(draw: st.DrawFn) -> dict[str, Any]:
    """A random object: sometimes a valid event bent here and there, sometimes pure noise."""
    if draw(st.booleans()):
        body = event(draw(KNOWN_TYPES), draw(st.sampled_from(["2026-000123", "2026-000777"])))
        for key in draw(st.lists(st.sampled_from(sorted(body)), max_size=3)):
            body[key] = draw(JSON)
    else:
        body = draw(st.dictionaries(KEYS, JSON, max_size=8))
        body["type"] = draw(KNOWN_TYPES | st.text(max_size=20))
    if draw(st.booleans()):
        body["event_id"] = str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))
    return body


@pytest.mark.parametrize("batched", [False, True], ids=["one event", "a batch"])
def test_random_objects_posted_as_events_never_fail_the_hall(desk: Desk, batched: bool) -> None:
    # Given a hall with a LAND case, so some events find a case to act on
    desk.record(event("case.accepted", "2026-000123"))

    @given(objects=st.lists(posted_objects(), min_size=1, max_size=3 if batched else 1))
    @settings(BOUNDED, max_examples=60)
    def fuzz(objects: list[dict[str, Any]]) -> None:
        # When the admin posts them
        body = {"events": objects} if batched else objects[0]
        response = desk.client.post("/v1/events", json=body, headers=ADMIN)

        # Then the answer is a success or a 4xx with the contract's error body
        assert response.status_code < 500, f"{body!r}\n→ {response.text}"
        if response.status_code >= 400:
            error = response.json()
            assert is_error_body(error), f"{body!r}\n→ {response.text}"
            if "event_index" in error["error"]:
                assert 0 <= error["error"]["event_index"] < len(objects)
        else:
            assert len(response.json()["results"]) == len(objects)

    fuzz()


# -- inputs that once made the hall answer 500 --------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"type": "case.signed", "rating": ' + b"9" * 5000 + b"}"],
    ids=["nested 100000 deep", "a 5000-digit number"],
)
def test_a_body_python_cannot_decode_is_not_json(desk: Desk, body: bytes) -> None:
    headers = ADMIN | {"Content-Type": "application/json"}

    response = desk.client.post("/v1/events", content=body, headers=headers)

    error_of(response, 422, "invalid_json")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occurred_at", "0001-01-01T00:00:00+14:00"),
        ("applicant_notified_at", "0001-01-01T00:00:00+14:00"),
        ("applicant_notified_at", "9999-12-31T23:59:59-14:00"),
    ],
)
def test_an_instant_that_has_no_utc_form_is_refused(desk: Desk, field: str, value: str) -> None:
    desk.record(event("case.accepted", "2026-000123"))
    extended = event("case.extended", "2026-000123", **{field: value})

    error = error_of(
        desk.post(extended), 422, "invalid_field", event_index=0, event_id=extended["event_id"]
    )

    assert field in error["message"]


def test_an_audit_position_beyond_64_bits_is_refused(desk: Desk) -> None:
    response = desk.client.get("/v1/audit/events", params={"after": 2**63}, headers=ADMIN)

    error_of(response, 422, "invalid_request")


def test_a_history_as_of_the_last_hours_of_year_9999_is_refused_as_out_of_range(
    desk: Desk,
) -> None:
    desk.record(event("case.accepted", "2026-000123"))

    response = desk.client.get(
        "/v1/cases/2026-000123/history", params={"as_of": "9999-12-31T16:00:00Z"}, headers=ADMIN
    )

    error_of(response, 422, "invalid_request")

"""``POST /v1/events``: one event or an atomic batch, routed to the service that owns it."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.routing import Route

from events import AnyEvent, ContractError, content_digest, owner_of, parse_event
from hall.http.auth import requires
from hall.http.errors import ApiError, error_body, status_of
from hall.http.forward import forward
from hall.metrics import EVENTS_POSTED
from hall.runtime import Hall
from services.ingest import Actor, Posted, Rejection

MAX_BATCH = 500
# Which roles may post which events; finer rules (own department) live in the services.
POSTERS = {"intake": {"window", "admin"}, "billing": {"cashier", "window", "admin"}}
WINDOW_MONEY_TYPES = {"fee.assessed"}  # the only money event a window may post

router = APIRouter(tags=["events"])  # documents the route; ``served`` serves it
_may_post = requires("window", "cashier")  # the token's check (finer: ``_admit``)


@router.post(
    "/v1/events",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}
    },
    responses={
        409: {"description": "forbidden by state"},
        421: {"description": "another service's events, and no URL to forward them to"},
        422: {"description": "malformed"},
        503: {"description": "the API these events were forwarded to did not answer"},
    },
)
async def post_events(request: Request) -> Response:
    """Record one event or an atomic batch of up to 500 (all or nothing, idempotent by id)."""
    actor = await _may_post(request)
    hall: Hall = request.app.state.hall
    body = await request.body()
    raw_events = _raw_events(_json(body))
    parsed = [_parse(index, raw) for index, raw in enumerate(raw_events)]
    owner = owner_of(parsed[0])
    for index, event in enumerate(parsed):
        if owner_of(event) != owner:
            raise ApiError(
                422,
                "mixed_batch",
                "a batch holds either case events or money events",
                event_index=index,
                event_id=event.event_id,
            )
    posted = [_admit(index, event, actor) for index, event in enumerate(parsed)]
    committer = hall.committers.get(owner)
    if committer is None:  # ``hall serve --role``: another process records these
        return await forward(request, body, owner)
    outcome = await asyncio.wrap_future(committer.submit(posted))
    if isinstance(outcome, Rejection):
        raise ApiError(
            status_of(outcome.error),
            outcome.error.code,
            outcome.error.message,
            event_index=outcome.event_index,
            event_id=outcome.event_id,
        )
    for status, count in Counter(r.status for r in outcome).items():
        EVENTS_POSTED.labels(owner, status).inc(count)
    # Encoded here, not by FastAPI: its generic encoder walks every result of a 500-event batch.
    results = [
        {"event_id": r.event_id, "status": r.status, "position": r.position} for r in outcome
    ]
    return Response(orjson.dumps({"results": results}), media_type="application/json")


# What serves ``POST /v1/events``: a plain Starlette route, which ``create_app`` puts before every
# other.  FastAPI's per-request work (its routers' matching, dependencies, parameters, exit
# stacks) was most of the CPU of a request refused at parsing, the app called in process:
# 222-267 µs a request through the APIRoute above, 86-115 through this route.  The APIRoute
# stays for the OpenAPI document (and would serve the endpoint alike, only slower).
served = Route("/v1/events", post_events, methods=["POST"], include_in_schema=False)


def _json(body: bytes) -> Any:
    # orjson, not json: 0.32 against 0.78 ms for a 500-event batch's body here (validating
    # its events takes 3.2 ms).  It refuses what json lets through to validation (NaN, lone
    # surrogates, a number too big for a double, nesting past 1,024 levels), all 422 either
    # way, and reads an integer beyond 64 bits as a float, which the strict integers refuse.
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:  # bad JSON or UTF-8, a number or nesting too big
        raise ApiError(422, "invalid_json", f"the body is not JSON: {error}") from None


def _raw_events(body: Any) -> list[Any]:
    if isinstance(body, dict) and "events" in body and "type" not in body:
        events = body["events"]
        if set(body) != {"events"} or not isinstance(events, list):
            raise ApiError(422, "invalid_batch", 'a batch is {"events": [ ... ]} and nothing else')
        if not 1 <= len(events) <= MAX_BATCH:
            raise ApiError(422, "invalid_batch", f"a batch holds 1 to {MAX_BATCH} events")
        return events
    return [body]


def _parse(index: int, raw: Any) -> AnyEvent:
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    try:
        return parse_event(raw)
    except ContractError as error:
        raise ApiError(
            422, error.code, error.message, event_index=index, event_id=_uuid_or_none(event_id)
        ) from None


def _admit(index: int, event: AnyEvent, actor: Actor) -> Posted:
    """The role check: who may post which service's events."""
    owner = owner_of(event)
    allowed = POSTERS[owner]
    if actor.role == "window" and owner == "billing" and event.type not in WINDOW_MONEY_TYPES:
        allowed = allowed - {"window"}
    if actor.role not in allowed:
        raise ApiError(
            403,
            "forbidden",
            f"the {actor.role} role may not post {event.type}",
            event_index=index,
            event_id=event.event_id,
        )
    return Posted(event, content_digest(event), actor)


def _uuid_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 64 else None


__all__ = ["error_body", "router"]

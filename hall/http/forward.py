"""Events of a service this process does not record, handed to the process that does.

``hall serve --role intake`` records case events only; terminals still post every event to one
address, so money events are forwarded, unchanged and with the terminal's own token, to
``HALL_BILLING_URL`` (and case events from a billing-only API to ``HALL_INTAKE_URL``).  The
answer goes back as it came.  Forwarding is safe to retry: event ids are idempotency keys.
"""

from __future__ import annotations

import httpx
from fastapi import Request, Response

from hall.http.errors import ApiError
from hall.settings import Settings

PASSED_HEADERS = ("authorization", "content-type")


def misdirected(settings: Settings, service: str) -> ApiError:
    served = " and ".join(settings.served)
    return ApiError(
        421,
        "misdirected",
        f"this API records {served} events; send {service} events to a {service} API "
        f"(or set HALL_{service.upper()}_URL here to have them forwarded)",
    )


async def forward(request: Request, body: bytes, service: str) -> Response:
    """POST the request's body to ``service``'s API and answer with what it answered."""
    settings: Settings = request.app.state.hall.settings
    url = settings.url_of(service)
    if url is None:
        raise misdirected(settings, service)
    client: httpx.AsyncClient = request.app.state.upstream
    headers = {name: request.headers[name] for name in PASSED_HEADERS if name in request.headers}
    try:
        answer = await client.post(f"{url.rstrip('/')}/v1/events", content=body, headers=headers)
    except httpx.HTTPError as error:
        raise ApiError(
            503, "upstream_unavailable", f"the {service} API at {url} did not answer: {error}"
        ) from None
    return Response(
        answer.content, answer.status_code, media_type=answer.headers.get("content-type")
    )

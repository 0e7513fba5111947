"""The contract's error body everywhere, and the one place that maps errors to status codes."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import OperationalError, PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from events import ContractError
from services.errors import DomainError, Forbidden, NotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with a status, a code and a message, raised anywhere in the HTTP layer."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    body |= {k: str(v) if k == "event_id" else v for k, v in extra.items() if v is not None}
    return {"error": body}


def status_of(error: DomainError) -> int:
    """Forbidden → 403, unknown → 404, any other rule → 409."""
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, NotFound):
        return 404
    return 409


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the contract's body."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error_body(error.code, error.message, **error.extra), error.status)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(error_body(error.code, error.message), status_of(error))

    @app.exception_handler(ContractError)
    async def contract_error(_: Request, error: ContractError) -> JSONResponse:
        return JSONResponse(error_body(error.code, error.message), 422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid request')}".strip(": ")
        return JSONResponse(error_body("invalid_request", message), 422)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            error_body(code.get(error.status_code, "http_error"), str(error.detail)),
            error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(PersistenceError)
    async def store_down(_: Request, error: PersistenceError) -> JSONResponse:
        log.warning("store error: %s", error)
        code = "store_unavailable" if isinstance(error, OperationalError) else "store_error"
        return JSONResponse(error_body(code, "the event store is not reachable; retry"), 503)

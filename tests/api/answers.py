"""What the contract's error answers look like, checked the same way in every API test."""

from __future__ import annotations

from typing import Any

from httpx import Response


def error_of(
    response: Response,
    status: int,
    code: str,
    *,
    event_index: int | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """Insist on the status and the error body {"error": {"code", "message", ...}}; return it."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = dict(body["error"])
    assert error["code"] == code, error
    assert isinstance(error["message"], str), error
    assert error["message"].strip(), error
    if event_index is not None:
        assert error.get("event_index") == event_index, error
    if event_id is not None:
        assert error.get("event_id") == event_id, error
    return error


def is_error_body(body: Any) -> bool:
    """True when ``body`` has the contract's error shape (for fuzzing, where codes vary)."""
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return False
    error = body["error"]
    allowed = {"code", "message", "event_index", "event_id"}
    return (
        set(error) <= allowed
        and isinstance(error.get("code"), str)
        and bool(error["code"])
        and isinstance(error.get("message"), str)
        and ("event_index" not in error or isinstance(error["event_index"], int))
        and ("event_id" not in error or isinstance(error["event_id"], str))
    )

"""Domain errors shared by every service: the HTTP layer maps them to status codes in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A command the current state forbids (HTTP 409)."""

    code = "conflict"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing a command or query names does not exist (HTTP 404 on reads, 409 in events)."""

    code = "not_found"


class Forbidden(DomainError):
    """The actor may not do this to this thing (HTTP 403)."""

    code = "forbidden"

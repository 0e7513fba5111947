"""Bearer tokens to actors: the admin token from the environment, terminals from the store."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from hall.http.errors import ApiError
from hall.runtime import Hall
from hall.stores import admin_token
from services.ingest import Actor

ADMIN = Actor(terminal_id="admin", role="admin")


class TokenCheck:
    """Checks tokens, caching answers briefly so a burst doesn't read the store per request."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.ttl = hall.settings.token_cache_seconds
        self.admin = admin_token(hall.settings)
        self._cache: dict[str, tuple[float, Actor | None]] = {}

    def actor(self, token: str) -> Actor | None:
        if hmac.compare_digest(token.encode(), self.admin.encode()):
            return ADMIN
        cached = self._cache.get(token)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        grant = self.hall.access.grant(token)
        found = None
        if grant is not None:
            department = (
                self.hall.intake.window_department(grant.window_no) if grant.window_no else None
            )
            found = Actor(grant.terminal_id, grant.role, grant.window_no, department)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (time.monotonic() + self.ttl, found)
        return found

    def forget(self, terminal_id: str) -> None:
        """Drop cached answers of one terminal (its token was just revoked here)."""
        for token, (_, actor) in list(self._cache.items()):
            if actor is not None and actor.terminal_id == terminal_id:
                del self._cache[token]


# The dependencies below are async on purpose: a sync dependency costs a thread-pool hop on
# every request, and they only look at memory (a token lookup misses the cache once per TTL).
async def hall_of(request: Request) -> Hall:
    hall: Hall = request.app.state.hall
    return hall


async def current_actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    tokens: TokenCheck = request.app.state.tokens
    actor = tokens.actor(token.strip())
    if actor is None:
        raise ApiError(401, "unauthorized", "unknown or revoked token")
    return actor


def requires(*roles: str) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting the given roles (admin is always admitted)."""
    allowed = {*roles, "admin"}

    # Calls current_actor itself rather than depending on it: FastAPI 0.165 re-derives each
    # dependency's metadata on every request, some 30 µs a dependency.
    async def check(request: Request) -> Actor:
        actor = await current_actor(request)
        if actor.role not in allowed:
            raise ApiError(403, "forbidden", f"the {actor.role} role may not do this")
        return actor

    return check


HallDep = Annotated[Hall, Depends(hall_of)]

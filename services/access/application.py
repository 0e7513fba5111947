"""The access service: registering and revoking terminals, checking tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from eventsourcing.application import AggregateNotFoundError, Application

from services.access.domainmodel import (
    ROLES,
    Credential,
    Terminal,
    credential_id_of,
    terminal_id_of,
    token_hash,
)
from services.errors import DomainError, NotFound


class InvalidRegistration(DomainError):
    code = "invalid_registration"


@dataclass(frozen=True)
class Issued:
    """A terminal's new token: shown once, stored only as a hash."""

    terminal_id: str
    token: str


@dataclass(frozen=True)
class Grant:
    """What a valid token allows."""

    terminal_id: str
    role: str
    window_no: str | None


class Terminals(Application):  # type: ignore[type-arg]
    """Terminals and their credentials."""

    name = "access"

    def register(self, terminal_id: str, role: str, window_no: str | None) -> Issued:
        """Register a terminal (or re-register a revoked one) and issue its token."""
        if role not in ROLES:
            raise InvalidRegistration(f"role must be one of {', '.join(ROLES)}")
        if (role == "window") != (window_no is not None):
            raise InvalidRegistration("a window terminal needs window_no; other roles take none")
        token = secrets.token_urlsafe(32)
        hashed = token_hash(token)
        credential = Credential(hashed, terminal_id, role, window_no)
        try:
            terminal: Terminal = self.repository.get(terminal_id_of(terminal_id))
            terminal.reissue(role, window_no, credential.id)
        except AggregateNotFoundError:
            terminal = Terminal(terminal_id, role, window_no, credential.id)
        self.save(terminal, credential)
        return Issued(terminal_id, token)

    def revoke(self, terminal_id: str) -> None:
        """Revoke a terminal's token at once."""
        try:
            terminal: Terminal = self.repository.get(terminal_id_of(terminal_id))
        except AggregateNotFoundError:
            raise NotFound(f"terminal {terminal_id} is not registered") from None
        credential: Credential = self.repository.get(terminal.revoke())
        credential.withdraw()
        self.save(terminal, credential)

    def grant(self, token: str) -> Grant | None:
        """What a presented token allows, or None for an unknown or revoked one."""
        try:
            credential: Credential = self.repository.get(credential_id_of(token_hash(token)))
        except AggregateNotFoundError:
            return None
        if not credential.active:
            return None
        return Grant(credential.terminal_id, credential.role, credential.window_no)

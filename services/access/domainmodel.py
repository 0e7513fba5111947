"""Terminals and their credentials: who may post and read, as events (so access is auditable).

Only a hash of each token is stored.  A credential's id is derived from that hash, so checking a
token is one direct read, and works the same in every process sharing the store.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate, event

from services.errors import DomainError
from services.nameids import name_uuid

ACCESS_NAMESPACE = name_uuid(NAMESPACE_URL, "hall:access")
ROLES = ("window", "cashier", "supervisor", "auditor", "admin")


class TerminalExists(DomainError):
    code = "terminal_exists"


class TerminalRevoked(DomainError):
    code = "terminal_revoked"


def token_hash(token: str) -> str:
    """Tokens are long random secrets, so a plain SHA-256 is enough to keep them unusable."""
    return hashlib.sha256(token.encode()).hexdigest()


def terminal_id_of(terminal_id: str) -> UUID:
    return name_uuid(ACCESS_NAMESPACE, f"terminal:{terminal_id}")


def credential_id_of(hashed: str) -> UUID:
    return name_uuid(ACCESS_NAMESPACE, f"credential:{hashed}")


class Terminal(Aggregate):
    """A counter's terminal, the bank's cashier, a screen or a tool."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(terminal_id: str, **_: Any) -> UUID:
        return terminal_id_of(terminal_id)

    @event("Registered")
    def __init__(
        self, terminal_id: str, role: str, window_no: str | None, credential: UUID
    ) -> None:
        self.terminal_id = terminal_id
        self.role = role
        self.window_no = window_no
        self.credential: UUID | None = credential

    def reissue(self, role: str, window_no: str | None, credential: UUID) -> None:
        """Give a revoked terminal a new role and credential."""
        if self.credential is not None:
            raise TerminalExists(f"terminal {self.terminal_id} is registered; revoke it first")
        self._reissued(role, window_no, credential)

    @event("Reissued")
    def _reissued(self, role: str, window_no: str | None, credential: UUID) -> None:
        self.role, self.window_no, self.credential = role, window_no, credential

    def revoke(self) -> UUID:
        """Withdraw the terminal's credential; returns the credential's id."""
        if self.credential is None:
            raise TerminalRevoked(f"terminal {self.terminal_id} is already revoked")
        credential = self.credential
        self._revoked()
        return credential

    @event("Revoked")
    def _revoked(self) -> None:
        self.credential = None


class Credential(Aggregate):
    """One issued token (by hash) and what it allows."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(hashed: str, **_: Any) -> UUID:
        return credential_id_of(hashed)

    @event("Issued")
    def __init__(self, hashed: str, terminal_id: str, role: str, window_no: str | None) -> None:
        self.terminal_id = terminal_id
        self.role = role
        self.window_no = window_no
        self.active = True

    @event("Withdrawn")
    def withdraw(self) -> None:
        self.active = False

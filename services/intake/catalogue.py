"""The hall's catalogue: departments, windows and items (审批事项), each change an event.

Entries are aggregates with ids derived from their codes, so a case can load the item it names
directly and later load the exact version it was accepted under.  An index aggregate lists the
codes, written in the same transaction as the entry it introduces.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate, event

from services.errors import DomainError
from services.nameids import name_uuid

CATALOGUE_NAMESPACE = name_uuid(NAMESPACE_URL, "hall:catalogue")
KINDS = ("department", "window", "item")


class UnknownEntry(DomainError):
    code = "unknown_catalogue_entry"


def entry_id(kind: str, code: str) -> UUID:
    """Catalogue entries are found by kind and code."""
    return name_uuid(CATALOGUE_NAMESPACE, f"{kind}:{code}")


def index_id(kind: str) -> UUID:
    return name_uuid(CATALOGUE_NAMESPACE, f"index:{kind}")


class Entry(Aggregate):
    """One catalogue entry: its content is replaced as a whole by each revision."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(kind: str, code: str, **_: Any) -> UUID:
        return entry_id(kind, code)

    @event("Published")
    def __init__(self, kind: str, code: str, content: dict[str, Any]) -> None:
        self.kind = kind
        self.code = code
        self.content = content

    def revise(self, content: dict[str, Any]) -> None:
        """Replace the content; an identical content records nothing."""
        if content != self.content:
            self._revised(content)

    @event("Revised")
    def _revised(self, content: dict[str, Any]) -> None:
        self.content = content

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.content, "version": self.version}


class Index(Aggregate):
    """The codes of one kind of entry, in order of first publication."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(kind: str) -> UUID:
        return index_id(kind)

    @event("Started")
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.codes: list[str] = []

    def add(self, code: str) -> None:
        if code not in self.codes:
            self._added(code)

    @event("Added")
    def _added(self, code: str) -> None:
        self.codes.append(code)


def item_terms(item: Entry) -> dict[str, Any]:
    """What a case keeps of its item at acceptance: the rules it will be judged by."""
    return {"item_code": item.code, "item_version": item.version, **item.content}

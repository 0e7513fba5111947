"""Indexes that let billing answer "which receipts" without scanning its whole log.

Written in the same transaction as the money events they point to (like the catalogue's
``Index``).  A ``Day`` records the receipts with money movements on one China date (the day's
cash book and its reconciliation read them) and, of those paid that day, which were settled.
``OpenDays`` lists the days that still have receipts awaiting remittance, so the unremitted
report reads a handful of days, not every day since the hall opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.billing.domainmodel import BILLING_NAMESPACE
from services.flatstate import FlatState
from services.nameids import name_uuid


@lru_cache(maxsize=4096)
def day_id(day: date) -> UUID:
    return name_uuid(BILLING_NAMESPACE, f"day:{day.isoformat()}")


OPEN_DAYS_ID = name_uuid(BILLING_NAMESPACE, "open-days")


class Day(FlatState, Aggregate):
    """One China date: receipts paid, refunded or remitted that day.

    Only the count of receipts still awaiting remittance is state (it decides ``OpenDays``);
    the lists themselves are folded from the events when read (``receipts_of_day``), so a busy
    day costs nothing to copy however many payments it holds.
    """

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(day: str, **_: Any) -> UUID:
        return day_id(date.fromisoformat(day))

    @event("Started")
    def __init__(self, day: str) -> None:
        self.day = day
        self.awaiting = 0

    def paid(self, receipt_no: str) -> None:
        """A receipt was paid this day: it awaits remittance.

        The receipts paid one after another, with nothing else recorded on the day between
        them, are one event: a request of 250 payments wrote 250 day events beside their
        accounts' and receipts', a fifth of what billing wrote for a fee assessed and paid."""
        pending = self.pending_events[-1] if self.pending_events else None
        if isinstance(pending, Day.PaidReceipts):  # type: ignore[attr-defined]
            # Not yet stored: it grows by the receipt, and the state by what its replay does.
            pending.receipt_nos.append(receipt_no)
            self.awaiting += 1
        else:
            self._paid_receipts([receipt_no])

    @event("PaidReceipts")
    def _paid_receipts(self, receipt_nos: list[str]) -> None:
        self.awaiting += len(receipt_nos)

    def absorb(self, earlier: Any, later: Any) -> bool:
        """Fold ``later``, this day's newest event, into ``earlier``, the one just before it,
        when both are payments and neither is stored yet (``UnitOfWork.commit_batch``: the
        requests of one group commit, as ``paid`` does for the payments of one request).  The
        state already counts both; the day steps back to the version of the one event left.

        In single-payment requests, the day wrote as many events as the accounts did."""
        if not (
            isinstance(earlier, Day.PaidReceipts)  # type: ignore[attr-defined]
            and isinstance(later, Day.PaidReceipts)  # type: ignore[attr-defined]
            and self.version == later.originator_version == earlier.originator_version + 1
        ):
            return False
        earlier.receipt_nos.extend(later.receipt_nos)
        self.version = earlier.originator_version
        self.modified_on = earlier.timestamp  # as replaying the stored events will have it
        return True

    @event("Paid")
    def _paid(self, receipt_no: str) -> None:
        """One receipt, as stored until December 2026: still replayed."""
        self.awaiting += 1

    def moved(self, receipt_no: str) -> None:
        """A receipt was refunded or remitted this day."""
        self._moved(receipt_no)

    @event("Moved")
    def _moved(self, receipt_no: str) -> None:
        pass

    def settle(self, receipt_no: str) -> None:
        """A receipt paid this day needs no more remittance (remitted, or refunded in full)."""
        self._settled(receipt_no)

    @event("Settled")
    def _settled(self, receipt_no: str) -> None:
        self.awaiting -= 1


def receipts_of_day(events: Iterable[Any]) -> tuple[list[str], list[str]]:
    """From a ``Day``'s events: the receipts moved that day, and those paid then still awaiting."""
    moved: dict[str, None] = {}  # dicts as ordered sets: the order of first movement
    awaiting: dict[str, None] = {}
    for e in events:
        if isinstance(e, Day.PaidReceipts):  # type: ignore[attr-defined]
            for receipt_no in e.receipt_nos:
                moved[receipt_no] = awaiting[receipt_no] = None
        elif isinstance(e, Day.Paid):  # type: ignore[attr-defined]
            moved[e.receipt_no] = awaiting[e.receipt_no] = None
        elif isinstance(e, Day.Moved):  # type: ignore[attr-defined]
            moved[e.receipt_no] = None
        elif isinstance(e, Day.Settled):  # type: ignore[attr-defined]
            awaiting.pop(e.receipt_no, None)
    return list(moved), list(awaiting)


class OpenDays(FlatState, Aggregate):
    """The days with receipts awaiting remittance (a few events per day, never per payment)."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return OPEN_DAYS_ID

    @event("Started")
    def __init__(self) -> None:
        self.days: dict[str, None] = {}

    def follow(self, day: Day) -> None:
        """Open or close ``day`` to match whether it still has receipts awaiting remittance."""
        if day.awaiting and day.day not in self.days:
            self._opened(day.day)
        elif not day.awaiting and day.day in self.days:
            self._closed(day.day)

    @event("Opened")
    def _opened(self, day: str) -> None:
        self.days[day] = None

    @event("Closed")
    def _closed(self, day: str) -> None:
        del self.days[day]

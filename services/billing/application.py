"""The billing service: fees, receipts, refunds, remittances and their daily reconciliation."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from services.billing.clock import DeadlineRule, china_date
from services.billing.domainmodel import (
    ZERO,
    CaseNotFound,
    FeeAccount,
    FeeNotAssessed,
    Payment,
    Receipt,
    ReceiptExists,
    Remittance,
    RemittanceExists,
    UnknownReceipt,
    account_id,
    receipt_id,
    remittance_id,
)
from services.billing.indexes import OPEN_DAYS_ID, Day, OpenDays, day_id, receipts_of_day
from services.billing.ports import CaseDirectory, WeekdaysOnly, Workdays
from services.billing.reconciliation import Statement, match, reconciliation_view, statement_id
from services.billing.statement import StatementLine, digest, parse_statement
from services.billing.translate import command_arguments
from services.billing.views import Movement, ledger_view, movements, receipt_view, unremitted_view
from services.errors import Forbidden, NotFound
from services.ingest import IngestingApplication, Posted, UnitOfWork
from services.stamp import Stamp

T = TypeVar("T")
RETRIES = 3
RECEIPT_KEY = "receipt"  # the digest of a receipt number's key row: no content to compare


class FeeLedger(IngestingApplication[FeeAccount]):
    """Money of the hall's cases, from assessment to remittance (收费核定 → 划拨 → 对账)."""

    name = "billing"
    # Every payment changes its day (and the first of a day the open days): API processes
    # deciding payments at once would conflict on nearly every group.
    writers_take_turns = True

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        cases: CaseDirectory,
        calendar: Workdays | None = None,
        deadline: DeadlineRule | None = None,
    ) -> None:
        super().__init__(env)
        self.cases = cases
        self.calendar = calendar or WeekdaysOnly()
        self.deadline = deadline or DeadlineRule()
        self._importing = threading.Lock()

    # -- posted money events -----------------------------------------------------------------
    def prefetch_ids(self, posted: Posted) -> list[UUID]:
        # With the day its money moves on: the group's first query then tells that the cached
        # day is current, and no read asks the store for newer events (``UnitOfWork``).
        event: Any = posted.event
        if event.type == "remittance.made":
            ids = [remittance_id(event.batch_no), *map(receipt_id, event.receipts)]
            return [*ids, day_id(china_date(event.occurred_at))]
        ids = [account_id(event.case_no)]
        if event.type == "fee.assessed":
            return ids
        # The receipt too: one paid until December 2026 is an aggregate from its payment on.
        return [*ids, receipt_id(event.receipt_no), day_id(china_date(event.occurred_at))]

    def prefetch_keys(self, posted: Posted) -> list[UUID]:
        # Receipt numbers: a payment claims its own, and names the account that holds it.
        event: Any = posted.event
        if event.type == "remittance.made":
            return list(map(receipt_id, event.receipts))
        return [receipt_id(event.receipt_no)] if event.type != "fee.assessed" else []

    def prepare(self, posted: Sequence[Posted]) -> dict[str, str | None]:
        """The departments of the cases whose fees the group assesses, asked all at once: a
        case accepted days ago is in no cache, and one read each, in turn, was most of the
        time of a group of assessments."""
        assessed = {p.event.case_no for p in posted if p.event.type == "fee.assessed"}
        return self.cases.departments_of(assessed) if assessed else {}

    def decide(self, posted: Posted, stamp: Stamp, uow: UnitOfWork) -> Aggregate:
        event: Any = posted.event
        arguments = command_arguments(event)
        if event.type == "fee.assessed":
            return self._assess(posted, arguments["lines"], stamp, uow)
        if posted.actor.role == "window":
            raise Forbidden(f"a window may not post {event.type}")
        if event.type == "fee.paid":
            return self._pay(event.case_no, arguments, stamp, uow)
        if event.type == "fee.refunded":
            return self._refund(event.case_no, arguments, stamp, uow)
        return self._remit(arguments, stamp, uow)

    def _assess(
        self, posted: Posted, lines: list[dict[str, Any]], stamp: Stamp, uow: UnitOfWork
    ) -> Aggregate:
        case_no: str = posted.event.case_no  # type: ignore[union-attr]
        prepared: dict[str, str | None] = uow.prepared or {}
        department = prepared[case_no] if case_no in prepared else self.cases.department_of(case_no)
        if department is None:
            raise CaseNotFound(f"case {case_no} was never received or accepted")
        actor = posted.actor
        if actor.role == "window" and actor.department != department:
            raise Forbidden(f"terminal {actor.terminal_id} serves another department")
        account = uow.find(account_id(case_no), FeeAccount)
        if account is None:
            account = FeeAccount.open(case_no, department, lines, stamp)
            uow.add(account)
        else:
            account.assess(lines, stamp)
        return account

    def _pay(self, case_no: str, args: dict[str, Any], stamp: Stamp, uow: UnitOfWork) -> Aggregate:
        receipt_no: str = args["receipt_no"]
        account = uow.find(account_id(case_no), FeeAccount)
        if account is None:
            raise FeeNotAssessed(f"no fee was assessed for case {case_no}")
        key = receipt_id(receipt_no)
        if uow.key_owner(key) is not None or uow.find(key, Receipt) is not None:
            raise ReceiptExists(f"receipt {receipt_no} was already issued")
        account.pay(**args, stamp=stamp)
        uow.claim(key, RECEIPT_KEY, account)
        day = self._day(uow, china_date(stamp.occurred_at))
        day.paid(receipt_no)
        if day.awaiting == 1:  # the day's first open receipt: the day opens
            self._open_days(uow).follow(day)
        return account

    def _refund(
        self, case_no: str, args: dict[str, Any], stamp: Stamp, uow: UnitOfWork
    ) -> Aggregate:
        receipt = self._receipt(uow, args["receipt_no"])
        if receipt is None:
            raise UnknownReceipt(f"receipt {args['receipt_no']} was never issued")
        receipt.check_case(case_no)
        owed_back = receipt.refund(args["amount"], args["reason"], stamp)
        account = uow.get(account_id(case_no), FeeAccount)
        account.refund(**args, owed_back=owed_back, stamp=stamp)
        self._day(uow, china_date(stamp.occurred_at)).moved(receipt.receipt_no)
        if receipt.remitted_by is None and receipt.net == ZERO:
            self._settle(uow, receipt)  # refunded in full: nothing left to remit
        return account

    def _remit(self, args: dict[str, Any], stamp: Stamp, uow: UnitOfWork) -> Aggregate:
        batch_no: str = args["batch_no"]
        if uow.find(remittance_id(batch_no), Remittance) is not None:
            raise RemittanceExists(f"batch {batch_no} was already remitted")
        receipts = []
        for receipt_no in args["receipts"]:
            receipt = self._receipt(uow, receipt_no)
            if receipt is None:
                raise UnknownReceipt(f"receipt {receipt_no} of batch {batch_no} was never issued")
            receipt.check_not_remitted()
            receipts.append(receipt)
        Remittance.check_amount(batch_no, args["amount"], receipts)
        remittance = Remittance(**args, stamp=stamp)
        uow.add(remittance)
        today = self._day(uow, china_date(stamp.occurred_at))
        for receipt in receipts:
            awaiting = receipt.net > ZERO  # else it was settled when refunded in full
            receipt.remit(batch_no, stamp)
            today.moved(receipt.receipt_no)
            if awaiting:
                self._settle(uow, receipt)
        return remittance

    def _receipt(self, uow: UnitOfWork, receipt_no: str) -> Receipt | None:
        """The receipt money moves against: created from its account's payment the first time."""
        key = receipt_id(receipt_no)
        found = uow.find(key, Receipt)
        if found is not None:
            return found
        owner = uow.key_owner(key)
        if owner is None:
            return None
        account = uow.get(owner, FeeAccount)
        found = Receipt.of(account.payments[receipt_no])
        uow.add(found)
        return found

    def _day(self, uow: UnitOfWork, day: date) -> Day:
        found = uow.find(day_id(day), Day)
        if found is None:
            found = Day(day.isoformat())
            uow.add(found)
        return found

    def _open_days(self, uow: UnitOfWork) -> OpenDays:
        found = uow.find(OPEN_DAYS_ID, OpenDays)
        if found is None:
            found = OpenDays()
            uow.add(found)
        return found

    def _settle(self, uow: UnitOfWork, receipt: Receipt) -> None:
        paid_on = self._day(uow, china_date(receipt.paid_at))
        paid_on.settle(receipt.receipt_no)
        if paid_on.awaiting == 0:  # the day's last open receipt: the day closes
            self._open_days(uow).follow(paid_on)

    # -- daily reconciliation ----------------------------------------------------------------
    def import_statement(self, text: str, imported_by: str) -> list[dict[str, Any]]:
        """Reconcile every day of a bank statement; what is already in force changes nothing."""
        days = sorted(parse_statement(text).items())
        with self._importing:
            for _ in range(RETRIES):
                try:
                    return self._reconcile(days, imported_by)
                except IntegrityError:
                    continue  # another process reconciled one of the days meanwhile
        raise IntegrityError("gave up after repeated write conflicts")

    def _reconcile(
        self, days: list[tuple[date, list[StatementLine]]], imported_by: str
    ) -> list[dict[str, Any]]:
        changed, answers = [], []
        for day, lines in days:
            statement = self.find(statement_id(day), Statement) or Statement(day.isoformat())
            result = match(self.movements_on(day), lines)
            recorded = statement.reconcile(digest(lines), result, imported_by)
            if recorded:
                changed.append(statement)
            answers.append(
                {
                    "date": day.isoformat(),
                    "status": "reconciled" if recorded else "unchanged",
                    "version": statement.version - 1,
                }
            )
        if changed:
            self.save(*changed)
        return answers

    def reconciliation(self, day: date) -> dict[str, Any]:
        """The reconciliation in force for a day."""
        statement = self.find(statement_id(day), Statement)
        if statement is None:
            raise NotFound(f"no bank statement was imported for {day.isoformat()}")
        *_, latest = self.events.get(statement.id, desc=True, limit=1)
        return reconciliation_view(statement, latest)

    # -- reading -------------------------------------------------------------------------------
    def fees_of(self, case_no: str) -> dict[str, Decimal]:
        """A case's assessed, paid and refunded totals (zero before any assessment)."""
        account = self.find(account_id(case_no), FeeAccount)
        if account is None:
            return {"assessed": ZERO, "paid": ZERO, "refunded": ZERO}
        return {"assessed": account.assessed, "paid": account.paid, "refunded": account.refunded}

    def receipt(self, receipt_no: str, now: datetime | None = None) -> dict[str, Any]:
        """One receipt: payment, refunds, remittance, deadline."""
        story = self._stories([receipt_no]).get(receipt_no)
        if story is None:
            raise NotFound(f"receipt {receipt_no} is not known")
        deadline = self.deadline.due(story[0].stamp.occurred_at, self.calendar)
        return receipt_view(story, deadline, now or datetime.now(UTC))

    def movements_on(self, day: date) -> list[Movement]:
        """Every movement of money on one China date, receipt by receipt."""
        moved, _ = receipts_of_day(self.events.get(day_id(day)))
        stories = self._stories(moved)
        return [m for receipt_no in moved for m in movements(stories[receipt_no]) if m.day == day]

    def _stories(self, receipt_nos: Sequence[str]) -> dict[str, list[Any]]:
        """Each receipt's events, or its payment alone (a ``Payment``) while no money moved
        against it since; receipts never paid are left out."""
        stories: dict[str, list[Any]] = {
            n: list(self.events.get(receipt_id(n))) for n in receipt_nos
        }
        payments = self.payments([n for n, story in stories.items() if not story])
        return {n: story or [payments[n]] for n, story in stories.items() if story or n in payments}

    def payments(self, receipt_nos: Sequence[str]) -> dict[str, Payment]:
        """The payments of these receipts as their accounts remember them, read in two queries
        (the receipt numbers' keys name the accounts).  Receipts paid until December 2026 have
        no key, and are found as aggregates instead."""
        if not receipt_nos:
            return {}
        keys = [receipt_id(n) for n in receipt_nos]
        known, _ = self.recorder.select_known(keys, [])  # type: ignore[attr-defined]
        owners = {k.originator_id for k in known.values()}
        accounts = self.find_many(list(owners), FeeAccount)
        held = {no: p for a in accounts for no, p in a.payments.items()}
        return {n: held[n] for n in receipt_nos if n in held}

    def ledger(self, day: date) -> dict[str, Any]:
        """The day's cash book (日记账)."""
        return ledger_view(day, self.movements_on(day))

    def unremitted(self, as_of: datetime) -> dict[str, Any]:
        """Receipts paid and not remitted past their deadline at ``as_of``."""
        open_days = self.find(OPEN_DAYS_ID, OpenDays)
        overdue: list[tuple[Receipt | Payment, datetime]] = []
        for day in open_days.days if open_days is not None else {}:
            _, awaiting = receipts_of_day(self.events.get(day_id(date.fromisoformat(day))))
            payments = self.payments(awaiting)
            for receipt_no in awaiting:
                # The aggregate first: once money moved against the receipt, it holds its net.
                receipt = self.find(receipt_id(receipt_no), Receipt) or payments.get(receipt_no)
                assert receipt is not None
                deadline = self.deadline.due(receipt.paid_at, self.calendar)
                if receipt.paid_at <= as_of and deadline < as_of:
                    overdue.append((receipt, deadline))
        return unremitted_view(as_of, self.deadline.describe(), overdue)

    def find(self, aggregate_id: UUID, cls: type[T]) -> T | None:
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, cls) else None

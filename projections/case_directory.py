"""Billing's view of cases: which department owns each case intake received or accepted.

Billing checks that a window assesses fees only for its own department's cases.  In one process
it asks intake directly; in the distributed layout a billing API keeps this small model from
intake's Kafka topic instead (``hall.bus.case_directory``), so it never reads intake's store.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.base import Projection
from projections.sources import Message
from projections.viewstore import Cursor, upsert

OWNING = frozenset({"case.received", "case.accepted"})  # the events that name the item's owner


class CaseDirectory(Projection):
    name = "case_directory"
    tables = {"cases": "case_no TEXT PRIMARY KEY, department TEXT NOT NULL"}  # noqa: RUF012

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        owners = {
            m.body["case_no"]: m.body["item"]["department"] for m in messages if m.type in OWNING
        }
        upsert(cur, self.t("cases"), ("case_no", "department"), 1, list(owners.items()))

    @classmethod
    def department_of(cls, cur: Cursor, case_no: str) -> str | None:
        cur.execute(f"SELECT department FROM {cls.view('cases')} WHERE case_no = ?", (case_no,))  # noqa: S608
        row = cur.fetchone()
        return None if row is None else str(row[0])

"""One valid example body per event type, shared by every service's tests.

Import as ``from tests.contract.examples import EXAMPLES`` and copy with ``example(type, ...)``
before changing anything: the dicts here are shared.
"""

from __future__ import annotations

import copy
from typing import Any

from events import make_credit_code, make_resident_id

OCCURRED_AT = "2026-03-02T09:15:00+08:00"
CASE_NO = "2026-000123"
RESIDENT_ID = make_resident_id()  # 330106198506151233
CREDIT_CODE = make_credit_code("91330106MA2B3C4D5")

PERSON: dict[str, Any] = {
    "kind": "person",
    "name": "张三",
    "id_type": "resident_id",
    "id_number": RESIDENT_ID,
    "phone": "13812345678",
}
ORGANISATION: dict[str, Any] = {
    "kind": "organisation",
    "name": "杭州示例科技有限公司",
    "id_type": "credit_code",
    "id_number": CREDIT_CODE,
    "phone": "0571-87654321",
}


def _event(event_id: str, type_: str, **fields: Any) -> dict[str, Any]:
    head: dict[str, Any] = {"event_id": event_id, "type": type_}
    if type_ != "remittance.made":
        head["case_no"] = CASE_NO
    return {**head, "occurred_at": OCCURRED_AT, "staff_id": "S-083", **fields}


_LIST = [
    _event(
        "74108366-2a1a-4866-b110-a458ddc549cc",
        "case.received",
        item_code="LAND-001",
        window_no="12",
        applicant=PERSON,
        materials=["申请书", "身份证复印件"],
    ),
    _event(
        "723bcee2-6aa7-4ed2-a1ec-14562eaf65f1",
        "case.accepted",
        item_code="LAND-001",
        window_no="12",
        applicant=PERSON,
        materials=["申请书", "身份证复印件"],
        special_care=False,
    ),
    _event(
        "fb668635-76b2-46dd-ba9e-aa277c94d113",
        "case.refused",
        reason="不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条",
    ),
    _event(
        "1ce74fd5-c6ae-4de0-910f-ab35471d3bc2",
        "case.supplement_requested",
        missing_materials=["土地权属证明"],
    ),
    _event("e7c14778-9ed5-4fc8-b157-1ec97d0c9dab", "case.supplement_received"),
    _event(
        "5000417e-7fa3-49fd-a8f6-bb7902b869bf",
        "case.transferred",
        to_unit="LAND",
        to_staff="S-101",
        location="hall",
        reason="转审核",
    ),
    _event(
        "d986b95f-7976-43b0-87e9-fb70c98f7f6e",
        "case.signed",
        step="review",
        decision="approve",
        opinion="同意",
        signer_title="科长",
        location="hall",
    ),
    _event(
        "738d82f2-8d7a-4f09-ac50-06ffbd48b3bb",
        "case.procedure_started",
        procedure="expert_review",
        approved_by="S-001",
        limit_days=10,
    ),
    _event("c0cfb755-1ba7-4a8e-a39e-f2e0e75a0935", "case.procedure_ended", outcome="专家评审通过"),
    _event(
        "7e2ebf3a-973f-4087-a3f4-eea0b52cd128",
        "case.suspended",
        reason="等待上级批复",
        approved_by="S-001",
    ),
    _event(
        "f4170422-face-4f49-a7f2-1649c8cfc11f",
        "case.resumed",
        reason="已收到批复",
        approved_by="S-001",
    ),
    _event(
        "95459324-c397-419e-b448-d7b6f1445d67",
        "case.extended",
        extra_days=10,
        approved_by="S-001",
        applicant_notified_at="2026-03-02T10:00:00+08:00",
    ),
    _event(
        "5e1931c1-8e30-4462-980b-05c799225a1c",
        "case.completed",
        result="granted",
        certificate_no="ZJ-2026-0001",
        location="hall",
    ),
    _event(
        "20bb24d8-d751-4bb3-bb7c-fa2f4aa25489",
        "case.delivered",
        method="pickup",
        recipient="张三",
    ),
    _event("4f07ace5-fb1c-48fe-ba3f-6b0476a0775f", "case.withdrawn", reason="申请人主动撤回"),
    _event(
        "d90d8b22-66ab-40bd-99b8-61d5ea29199b",
        "fee.assessed",
        lines=[{"fee_code": "F1", "amount": "80.00"}],
    ),
    _event(
        "28bd423e-e11e-4971-a823-8c5838342b9c",
        "fee.paid",
        receipt_no="R-2026-000001",
        amount="80.00",
        method="qr",
        cashier_window="B1",
    ),
    _event(
        "957cae55-3c6e-4857-86f9-db67a60ab742",
        "fee.refunded",
        receipt_no="R-2026-000001",
        amount="80.00",
        reason="重复缴费",
    ),
    _event(
        "6f7dc8b2-4781-4f9b-ae7c-07d912369fd8",
        "remittance.made",
        batch_no="RB-20260302",
        receipts=["R-2026-000001"],
        amount="80.00",
        to_account="33001616183053000123",
        bank_ref="ICBC-20260302-0001",
    ),
    _event(
        "9f96b28a-62c2-4a1b-8bb4-9683e43faa2c",
        "evaluation.submitted",
        rating=5,
        channel="pad",
        comment="办事效率高",
    ),
    _event("5b0c2f4e-8a51-4b8e-9a7e-2f1d3c4b5a61", "evaluation.followed_up", note="已电话回访"),
    _event(
        "0e6d1c2b-3a4f-4e5d-8c7b-6a5f4e3d2c1b",
        "evaluation.rectified",
        measures="一次性告知材料清单",
    ),
]

EXAMPLES: dict[str, dict[str, Any]] = {e["type"]: e for e in _LIST}


def example(type_: str, **changes: Any) -> dict[str, Any]:
    """Return a deep copy of the example of `type_` with `changes` applied on top."""
    return {**copy.deepcopy(EXAMPLES[type_]), **changes}


def without(type_: str, *keys: str) -> dict[str, Any]:
    """Return a deep copy of the example of `type_` with `keys` removed."""
    return {k: v for k, v in example(type_).items() if k not in keys}

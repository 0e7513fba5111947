"""Name-based ids made directly (``services.nameids``) are uuid5's, value and behaviour."""

from __future__ import annotations

import copy
import pickle
import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.billing.domainmodel import BILLING_NAMESPACE, receipt_id
from services.nameids import name_uuid


@given(namespace=st.uuids(), name=st.text())
def test_a_name_id_equals_uuid5_of_the_same_name(namespace: uuid.UUID, name: str) -> None:
    made = name_uuid(namespace, name)

    expected = uuid.uuid5(namespace, name)
    assert made == expected and made.int == expected.int and hash(made) == hash(expected)
    assert (made.version, made.variant) == (5, uuid.RFC_4122)


def test_a_name_id_behaves_as_any_uuid() -> None:
    made = receipt_id("R-000001-收")  # any text, as receipt numbers are hashed

    assert made == uuid.uuid5(BILLING_NAMESPACE, "receipt:R-000001-收")
    assert made.is_safe is uuid.SafeUUID.unknown
    assert uuid.UUID(str(made)) == made and uuid.UUID(made.hex) == made
    assert pickle.loads(pickle.dumps(made)) == made and copy.deepcopy(made) == made
    assert {made: 1}[uuid.UUID(bytes=made.bytes)] == 1

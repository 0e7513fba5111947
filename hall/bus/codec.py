"""Events on the bus: the contract's JSON keyed by case, and back to the consumers' ``Message``.

The value is the event's contract fields (personal data masked, as everywhere outside the
store) plus ``position`` (its place in the service's log) and ``recorded_at``.  JSON has no
instants, amounts or UUIDs, so a header lists the paths holding them and a consumer gets back
exactly the ``Message.body`` a ``StoreLog`` gives (masked fields aside); other readers just
read the JSON.

``prev-position`` chains each partition: the position of the event the relay published before
this one to the same partition.  A consumer applies an event only when it follows what it has
applied, so resends after a relay crash are skipped and an event whose predecessor was lost in a
failed produce waits for the resend instead of being applied out of order.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from events.masking import mask_id_number, mask_phone
from events.schema import SCHEMA_VERSION
from projections.sources import Message
from services.stamp import Stamp

EVENT_ID, TYPE, SCHEMA, PREV, NATIVE = (
    "event-id",
    "type",
    "schema-version",
    "prev-position",
    "native-types",
)
KEYS = ("case_no", "batch_no", "code", "kind", "originator_id")
_CATALOGUE_EVENTS = uuid.uuid5(uuid.NAMESPACE_URL, "hall:bus")
_PARSE: dict[str, Any] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "decimal": Decimal,
    "uuid": uuid.UUID,
    "stamp": lambda fields: Stamp(**fields),  # billing's bookkeeping events carry one
}
_RECORDS: dict[type[Any], str] = {Stamp: "stamp"}
Path = list[str | int]


@dataclass(frozen=True, slots=True)
class Record:
    """A message read from a partition, with its place there and its predecessor."""

    message: Message
    offset: int
    prev: int


def key_of(body: Mapping[str, Any], service: str) -> str:
    """The partition key: the case (the batch for remittances, the code for catalogue events);
    supervision's events by the finding or file they belong to."""
    fields = ("originator_id",) if service == "supervision" else KEYS
    for field in fields:
        value = body.get(field)
        if value:
            return str(value)
    return service  # anything else stays in order in one partition


def event_id_of(body: Mapping[str, Any], service: str, position: int) -> str:
    """The posted event's id; catalogue changes, posted by no terminal, get a stable one."""
    if body.get("event_id") is not None:
        return str(body["event_id"])
    return str(uuid.uuid5(_CATALOGUE_EVENTS, f"{service}:{position}"))


def encode(
    message: Message, service: str, prev: int | None = None
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of one event (the relay adds ``prev-position`` once it knows
    the partition)."""
    natives: list[tuple[Path, str]] = []
    value = _plain(message.body, (), natives)
    value["position"] = message.position
    value["recorded_at"] = message.recorded_at.isoformat()
    headers = [
        (EVENT_ID, event_id_of(message.body, service, message.position).encode()),
        (TYPE, message.type.encode()),
        (SCHEMA, _SCHEMA),
        (NATIVE, _compact(natives).encode()),
    ]
    if prev is not None:
        headers.append((PREV, str(prev).encode()))
    key = key_of(message.body, service).encode()
    return key, _json(value).encode(), headers


def decode(
    topic: str, partition: int, offset: int, value: bytes, headers: Sequence[tuple[str, bytes]]
) -> Record:
    """The consumers' view of one record."""
    named = dict(headers)
    body: dict[str, Any] = json.loads(value)
    position = int(body.pop("position"))
    recorded_at = datetime.fromisoformat(body.pop("recorded_at"))
    for path, kind in json.loads(named.get(NATIVE, b"[]")):
        _restore(body, path, _PARSE[kind])
    message = Message(f"{topic}/{partition}", position, str(body["type"]), body, recorded_at)
    return Record(message, offset, int(named.get(PREV, b"0")))


_SCALARS = frozenset({str, int, float, bool, type(None)})
_MASKS = {"id_number": mask_id_number, "phone": mask_phone}  # as events.masking does, any depth
_LEAVES: dict[type[Any], tuple[str, Any]] = {  # exact types first: this runs for every event
    datetime: ("datetime", datetime.isoformat),
    date: ("date", date.isoformat),
    Decimal: ("decimal", str),
    uuid.UUID: ("uuid", str),
}
_SCHEMA = SCHEMA_VERSION.encode()
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_compact = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _plain(value: Any, path: tuple[str | int, ...], natives: list[tuple[Path, str]]) -> Any:
    """JSON-able copy of ``value`` with identity numbers and phones masked, noting where
    instants, dates, amounts and UUIDs were (one pass: this runs for every event relayed)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    leaf = _LEAVES.get(kind)
    if leaf is not None:
        natives.append((list(path), leaf[0]))
        return leaf[1](value)
    if kind is dict or isinstance(value, Mapping):
        plain = {}
        for k, v in value.items():
            if type(v) is str:
                plain[k] = _MASKS[k](v) if k in _MASKS else v
            else:
                plain[k] = v if type(v) in _SCALARS else _plain(v, (*path, k), natives)
        return plain
    if kind is list or kind is tuple:
        return [
            v if type(v) in _SCALARS else _plain(v, (*path, i), natives)
            for i, v in enumerate(value)
        ]
    for cls, (name, convert) in _LEAVES.items():  # subclasses (a datetime is also a date)
        if isinstance(value, cls):
            natives.append((list(path), name))
            return convert(value)
    if kind in _RECORDS:  # its fields first: they are restored before it is rebuilt
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        plain_fields = _plain(fields, path, natives)
        natives.append((list(path), _RECORDS[kind]))
        return plain_fields
    if isinstance(value, enum.Enum):
        return _plain(value.value, path, natives)
    raise TypeError(f"{kind.__name__} at {list(path)} has no JSON form on the bus")


def _restore(body: dict[str, Any], path: Path, parse: Any) -> None:
    holder: Any = body
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = parse(holder[path[-1]])

"""Content digests of register records: equal digests mean nothing the register said changed."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from integrations.records import Record

# Fields that change without the entity changing (the register's own bookkeeping).
_IGNORED = frozenset({"modified"})


def _canonical(value: Any) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            "("
            + ",".join(
                f"{f.name}={_canonical(getattr(value, f.name))}"
                for f in dataclasses.fields(value)
                if f.name not in _IGNORED
            )
            + ")"
        )
    if isinstance(value, tuple):
        # Children in any order are the same children.
        return "[" + ",".join(sorted(_canonical(item) for item in value)) + "]"
    return repr(value)


def content_hash(record: Record) -> str:
    return hashlib.md5(_canonical(record).encode(), usedforsecurity=False).hexdigest()

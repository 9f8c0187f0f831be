"""Tolerant, typed reading of one SS 12000 JSON object; see ss12000_mapping for the rules."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from integrations.records import Entity, SourceIssue
from integrations.sources.ids import StableIds
from integrations.sources.parsing import parse_date, parse_datetime, safe_excerpt


class Context:
    """Collects what went wrong while reading one entity; emits at most a few issues."""

    __slots__ = (
        "derived",
        "entity",
        "ids",
        "issues",
        "location",
        "missing",
        "skipped",
        "source_id",
    )

    def __init__(self, entity: Entity, location: str, ids: StableIds) -> None:
        self.entity = entity
        self.location = location
        self.ids = ids
        self.source_id = ""
        self.missing: list[str] = []
        self.skipped: list[str] = []
        self.derived: list[str] = []
        self.issues: list[SourceIssue] = []

    def issue(self, severity: str, message: str, **details: str) -> SourceIssue:
        return SourceIssue(
            severity=severity,
            entity=self.entity,
            source_id=self.source_id,
            message=message,
            location=self.location,
            details=dict(details),
        )

    def warn(self, message: str, **details: str) -> None:
        self.issues.append(self.issue("warning", message, **details))

    def to_uuid(self, raw: Any, target: Entity, field: str) -> uuid.UUID | None:
        if raw.__class__ is str:  # the usual case first: one lookup in the per-read cache
            parsed = self.ids.parse(raw)
            if parsed is not None:
                return parsed
        if isinstance(raw, bool) or not isinstance(raw, str | int) or str(raw).strip() == "":
            return None
        parsed = self.ids.parse(str(raw))
        if parsed is not None:
            return parsed
        # Same derivation wherever the id occurs (own id, references, deletions), so a server
        # with non-UUID ids still gives consistent references.
        self.derived.append(field)
        return self.ids.derive(f"ss12000:{target.value}", str(raw).strip())

    def finish(self) -> list[SourceIssue]:
        issues = list(self.issues)
        if self.missing:
            issues.append(
                self.issue(
                    "warning",
                    "missing required fields; defaults used",
                    fields=", ".join(dict.fromkeys(self.missing)),
                )
            )
        if self.skipped:
            issues.append(
                self.issue(
                    "warning",
                    "incomplete nested items left out",
                    items=", ".join(self.skipped),
                )
            )
        if self.derived:
            issues.append(
                self.issue(
                    "warning",
                    "ids that are not UUIDs; stable ids derived from them",
                    fields=", ".join(dict.fromkeys(self.derived)),
                )
            )
        return issues


def reads_as_empty_text(value: object) -> bool:
    """Whether ``Scope.text`` reads this raw value as "" (absent, empty, or neither text nor a
    number). The reader decides on raw items with it whether a field was sent at all."""
    if isinstance(value, str):
        return not value
    return not isinstance(value, int | float) or isinstance(value, bool)


class Scope:
    """Typed, tolerant access to one JSON object (the entity or a nested item).

    Every accessor starts with the case a well-formed register sends (a non-empty string, a
    known value, a ``{"id": "<uuid>"}`` reference) and returns at once; anything else goes the
    general way, which gives the defaults and the issues. The fast lines only ever return what
    the general way would have returned for the same value, with no issue. A bundle has
    millions of values, so this is most of reading's time. A nested scope's field-name prefix
    is only written out when an issue needs it."""

    __slots__ = ("_index", "_key", "_parent", "_prefix", "ctx", "obj")

    def __init__(
        self,
        ctx: Context,
        obj: Mapping[str, Any],
        prefix: str = "",
        *,
        parent: Scope | None = None,
        key: str = "",
        index: int = -1,
    ) -> None:
        self.ctx = ctx
        self.obj = obj
        self._prefix: str | None = prefix if parent is None else None
        self._parent = parent
        self._key = key
        self._index = index

    @property
    def prefix(self) -> str:
        if self._prefix is None:
            assert self._parent is not None
            step = self._key if self._index < 0 else f"{self._key}[{self._index}]"
            self._prefix = f"{self._parent.prefix}{step}."
        return self._prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _present(self, key: str, required: bool) -> Any:
        value = self.obj.get(key)
        if value is None or value == "" or value == []:
            if required:
                self.ctx.missing.append(self._name(key))
            return None
        return value

    def text(self, key: str, *, required: bool = False) -> str:
        """The value as text: "" when absent, empty or of a type that is not text or a number
        (``reads_as_empty_text`` says the same without mapping)."""
        value = self.obj.get(key)
        if value.__class__ is str and value:
            return value
        value = self._present(key, required)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            # e.g. a school-unit code sent as a number: keep it, but a leading zero may be lost
            self.ctx.warn("value has the wrong type; converted to text", field=self._name(key))
            return str(value)
        self.ctx.warn("value has the wrong type; ignored", field=self._name(key))
        return ""

    def enum(
        self, key: str, allowed: frozenset[str], *, required: bool = False, default: str = ""
    ) -> str:
        value = self.obj.get(key)
        if value.__class__ is str and value in allowed:
            return value
        value = self.text(key, required=required)
        if value == "":
            return default
        if value not in allowed:
            self.ctx.warn(
                "unknown enumeration value; kept as sent",
                field=self._name(key),
                value=safe_excerpt(value),
            )
        return value

    def date(self, key: str, *, required: bool = False) -> dt.date | None:
        value = self.obj.get(key)
        if value.__class__ is str and value:
            try:
                return parse_date(value)
            except ValueError:
                pass  # the general way below reports it
        value = self.text(key, required=required)
        if value == "":
            return None
        try:
            return parse_date(value)
        except ValueError:
            self.ctx.warn("invalid date; ignored", field=self._name(key), value=safe_excerpt(value))
            if required:
                self.ctx.missing.append(self._name(key))
            return None

    def integer(self, key: str) -> int | None:
        value = self.obj.get(key)
        if value.__class__ is int:
            return value
        value = self._present(key, False)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        self.ctx.warn("not an integer; ignored", field=self._name(key))
        return None

    def boolean(self, key: str) -> bool:
        value = self.obj.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.ctx.warn("not a boolean; read as false", field=self._name(key))
        return False

    def child(self, key: str) -> Scope | None:
        value = self.obj.get(key)
        if value.__class__ is dict or isinstance(value, Mapping):
            return Scope(self.ctx, value, parent=self, key=key)
        if value is not None:
            self.ctx.warn("not an object; ignored", field=self._name(key))
        return None

    def ref(self, key: str, target: Entity, *, required: bool = False) -> uuid.UUID | None:
        """``{key: {"id": ...}}``, the shape of every SS 12000 reference."""
        value = self.obj.get(key)
        if value.__class__ is dict:
            raw = value.get("id")
            if raw.__class__ is str:
                found = self.ctx.ids.parse(raw)
                if found is not None:
                    return found
        value = self._present(key, required)
        if value is None:
            return None
        raw = value.get("id") if isinstance(value, Mapping) else None
        found = self.ctx.to_uuid(raw, target, self._name(key))
        if found is None and required:
            self.ctx.missing.append(f"{self._name(key)}.id")
        return found

    def own_ref(self, target: Entity) -> uuid.UUID | None:
        """The ``id`` of this object read as a reference (a list of GroupReference...)."""
        found = self.ctx.to_uuid(self.obj.get("id"), target, self._name("id"))
        if found is None:
            self.ctx.missing.append(self._name("id"))
        return found

    def objects(self, key: str, *, required: bool = False) -> list[Scope]:
        value = self._present(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.ctx.warn("not a list; ignored", field=self._name(key))
            return []
        scopes = []
        ctx = self.ctx
        for index, element in enumerate(value):
            if element.__class__ is dict or isinstance(element, Mapping):
                scopes.append(Scope(ctx, element, parent=self, key=key, index=index))
            else:
                ctx.skipped.append(f"{self._name(key)}[{index}] (not an object)")
        return scopes

    def modified(self) -> dt.datetime | None:
        meta = self.obj.get("meta")
        if meta.__class__ is dict:
            value = meta.get("modified")
            if value.__class__ is str and value:
                try:
                    return parse_datetime(value)
                except ValueError:
                    pass  # the general way below reports it
        meta = self.child("meta")
        value = meta.text("modified") if meta else ""
        if not value:
            return None
        try:
            return parse_datetime(value)
        except ValueError:
            self.ctx.warn("invalid timestamp; ignored", field="meta.modified")
            return None

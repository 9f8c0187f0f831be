"""SS 12000 file bundle: the API's JSON pages delivered as files, in a folder or a .zip.

Files are recognised by name, case-insensitively, at any depth: ``organisations*.json``,
``persons*.json``, ``groups*.json``, ``duties*.json``, ``activities*.json`` (e.g.
``persons.json``, ``persons-001.json``, ``Persons_2.json``). Several files of one kind are read
in natural order. Each file is a page object ``{"data": [...], "pageToken": ...}``, a plain
array or a single entity; files are streamed item by item (``json_stream``), so a file may be
large, but a single item may not exceed ``max_item_chars``. Files must be UTF-8 (RFC 8259),
with or without a BOM.

Items are mapped exactly as the API's (``ss12000_mapping``): same tolerance, same issues.
Organisations, persons, groups and duties files are required, so that a truncated export is not
read as "everyone left"; activities are optional (``covered_entities`` says whether they were
there). Other files (placements, syllabuses...) are reported with a warning and ignored.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

from integrations.pipeline.hashing import RawItem
from integrations.records import Entity, SourceIssue
from integrations.sources.bundle import Bundle
from integrations.sources.errors import SourceError
from integrations.sources.ids import StableIds
from integrations.sources.json_stream import MalformedJson, iter_json_items
from integrations.sources.ss12000_api import ENTITY_ORDER
from integrations.sources.ss12000_mapping import Item, map_entity, raw_item

_NAME = re.compile(r"(organisations|persons|groups|duties|activities)(?:[^a-z][^/]*)?\.json")
_KINDS = {
    "organisations": Entity.ORGANISATION,
    "persons": Entity.PERSON,
    "groups": Entity.GROUP,
    "duties": Entity.DUTY,
    "activities": Entity.ACTIVITY,
}
REQUIRED = frozenset({Entity.ORGANISATION, Entity.PERSON, Entity.GROUP, Entity.DUTY})


def _classify(name: str) -> Entity | None:
    match = _NAME.fullmatch(name.rsplit("/", 1)[-1].lower())
    return _KINDS[match[1]] if match else None


class Ss12000FileSource:
    """``path``: a folder or a .zip archive. ``id_secret``: see ``ids`` (only used for
    non-UUID ids)."""

    def __init__(
        self,
        path: str | Path,
        *,
        id_secret: bytes | None = None,
        max_item_chars: int = 16 << 20,
        lazy: bool = False,
    ) -> None:
        self.path = Path(path)
        self._ids = StableIds(id_secret)
        self._max_item_chars = max_item_chars
        # Lazy: yield RawItems (mapped only if the reader finds them changed), see raw_item.
        self._lazy = lazy
        with Bundle(self.path) as bundle:
            self._files = {e: [n for n in bundle.names() if _classify(n) is e] for e in Entity}
            self._unknown = [n for n in bundle.names() if _classify(n) is None]
        missing = sorted(e.value for e in REQUIRED if not self._files[e])
        if missing:
            raise SourceError(
                f"{self.path.name}: no file for {', '.join(missing)} "
                "(expected e.g. organisations.json, persons.json, groups.json, duties.json)"
            )

    @property
    def covered_entities(self) -> frozenset[Entity]:
        return frozenset(e for e, names in self._files.items() if names)

    def read(self) -> Iterator[Item | RawItem]:
        for name in self._unknown:
            yield SourceIssue("warning", None, "", "file not recognised; ignored", location=name)
        with Bundle(self.path) as bundle:
            for entity in ENTITY_ORDER:
                for name in self._files[entity]:
                    yield from self._read_file(bundle, name, entity)

    def _read_file(self, bundle: Bundle, name: str, entity: Entity) -> Iterator[Item | RawItem]:
        with bundle.open_binary(name) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig")
            items = iter_json_items(text, max_item_chars=self._max_item_chars)
            index = 0
            try:
                for index, item in enumerate(items):
                    if self._lazy:
                        yield raw_item(entity, item, f"{name} item {index}", self._ids)
                    else:
                        yield from map_entity(entity, item, f"{name} item {index}", self._ids)
            except MalformedJson as exc:
                raise SourceError(f"{name}: malformed JSON: {exc}") from None
            except UnicodeDecodeError:
                raise SourceError(f"{name}: not UTF-8 (after item {index})") from None

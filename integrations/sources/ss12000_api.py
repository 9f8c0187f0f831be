"""SS 12000:2020 API client: full snapshots and incremental changes, as normalised records.

Paging: the first request of a collection carries the filters and ``limit``; every follow-up
sends only ``pageToken`` and ``limit`` (the spec forbids combining the token with filters; the
server keeps them in the token). HTTP 410 with ``NEW_DATA_RESTART_FROM_FIRST_PAGE`` restarts
that collection from the first page. Records already yielded are not taken back: the pipeline
stages records keyed by id, so reading them again is harmless. Each restart yields a warning
issue and is counted in ``stats``; after ``max_restarts`` the run fails.

Collections read: organisations, persons (enrolments and responsibles are inline), groups
(groupMemberships inline), duties (assignmentRole inline), activities (groups and teachers
inline; ``expand=syllabus`` for the subject code, with the displayName heuristic as fallback).
``/placements`` (preschool and fritidshem placements) is not read: the record types have no
place for it yet, and pupils' school units come from enrolments.

Incremental reads (``read_changes``): each entity type is asked for ``meta.modified.after`` on
its own endpoint, because ``meta.modified`` does not change when only expanded data changes.
``meta.created.after`` is not used: filters are ANDed, and ``meta.modified`` is set at creation
too, so the modified filter alone finds new entities. Deletions come from
``/deletedEntities?after=...&entities=<Type>`` after each collection.

Checkpoints: a collection's checkpoint is the server's time (``Date`` header) of the answer to
its first page, not the largest ``meta.modified`` seen: the latter never advances when nothing
changed and misses entities committed late with an earlier timestamp. The server's clock is the
one its filters compare with, so clock skew between us and the server does not matter; only
when a server sends no ``Date`` do we fall back to our clock. Queries then ask for changes since
``checkpoint - change_overlap`` (default 5 minutes) to cover long-running register transactions,
second-resolution ``Date`` headers and a skewed fallback clock; the overlap re-reads a few
records, which staging by id makes harmless.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from integrations.pipeline.hashing import RawItem
from integrations.records import Entity, SourceIssue
from integrations.sources.errors import SourceError
from integrations.sources.ids import StableIds
from integrations.sources.ss12000_http import (
    RestartFromFirstPage,
    Ss12000ApiConfig,
    Ss12000Http,
    utcnow,
)
from integrations.sources.ss12000_mapping import Item, map_deleted, map_entity, raw_item

Yielded = Item | RawItem

__all__ = ["ENTITY_ORDER", "Ss12000ApiConfig", "Ss12000ApiSource", "SyncStats"]

# Referenced entities first, so a consumer that applies records in order sees parents first.
ENTITY_ORDER: tuple[Entity, ...] = (
    Entity.ORGANISATION,
    Entity.PERSON,
    Entity.GROUP,
    Entity.DUTY,
    Entity.ACTIVITY,
)
PATHS: Mapping[Entity, str] = {
    Entity.ORGANISATION: "/organisations",
    Entity.PERSON: "/persons",
    Entity.GROUP: "/groups",
    Entity.DUTY: "/duties",
    Entity.ACTIVITY: "/activities",
}
# EndPointsEnum values for deletedEntities' ``entities`` filter.
OBJECT_TYPES: Mapping[Entity, str] = {
    Entity.ORGANISATION: "Organisation",
    Entity.PERSON: "Person",
    Entity.GROUP: "Group",
    Entity.DUTY: "Duty",
    Entity.ACTIVITY: "Activity",
}


@dataclass(slots=True)
class SyncStats:
    pages: dict[str, int] = field(default_factory=dict)  # by path
    restarts: dict[str, int] = field(default_factory=dict)  # by path
    retries: int = 0
    token_requests: int = 0


def _rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Ss12000ApiSource:
    """Reads one tenant's register over SS 12000.

    ``client``, ``sleep``, ``now``, ``monotonic`` and ``rng`` are injectable for tests.
    ``id_secret`` keys the ids derived for non-UUID register ids (see ``ids``); without it they
    are plain uuid5 values.
    """

    covered_entities: frozenset[Entity] = frozenset(ENTITY_ORDER)

    def __init__(
        self,
        config: Ss12000ApiConfig,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        id_secret: bytes | None = None,
        lazy: bool = False,
    ) -> None:
        self.config = config
        # Lazy: yield RawItems (mapped only if the reader finds them changed), see raw_item.
        self._lazy = lazy
        self._http = Ss12000Http(
            config, client=client, sleep=sleep, now=now, monotonic=monotonic, rng=rng
        )
        self._ids = StableIds(id_secret)
        self._checkpoints: dict[Entity, dt.datetime] = {}
        self._stats = SyncStats()

    def __enter__(self) -> Ss12000ApiSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def checkpoints(self) -> Mapping[Entity, dt.datetime]:
        """Per entity type whose read has completed: the value to pass as ``since`` next time."""
        return dict(self._checkpoints)

    @property
    def stats(self) -> SyncStats:
        self._stats.retries = self._http.stats.retries
        self._stats.token_requests = self._http.stats.token_requests
        return self._stats

    def read(self, entities: Iterable[Entity] = ENTITY_ORDER) -> Iterator[Yielded]:
        """A full snapshot of ``entities`` (all by default), in dependency order."""
        wanted = set(entities)
        for entity in ENTITY_ORDER:
            if entity in wanted:
                started = yield from self._collection(entity, [])
                self._checkpoints[entity] = started

    def read_changes(self, since: Mapping[Entity, dt.datetime]) -> Iterator[Yielded]:
        """What changed since the given checkpoints: changed and new entities, then that type's
        deletions. Entity types missing from ``since`` are read in full (a first sync)."""
        for entity, value in since.items():
            if value.tzinfo is None:
                raise ValueError(f"checkpoint for {entity} has no time zone")
        return self._changes(dict(since))

    def _changes(self, since: Mapping[Entity, dt.datetime]) -> Iterator[Yielded]:
        for entity in ENTITY_ORDER:
            after = since.get(entity)
            if after is None:
                started = yield from self._collection(entity, [])
            else:
                query_after = _rfc3339(after - self.config.change_overlap)
                started = yield from self._collection(
                    entity, [("meta.modified.after", query_after)]
                )
                # After the collection, so a deletion made while we paged is not missed.
                yield from self._deleted(entity, query_after)
            self._checkpoints[entity] = started

    def _collection(
        self, entity: Entity, filters: list[tuple[str, str]]
    ) -> Generator[Yielded, None, dt.datetime]:
        params = list(filters)
        if entity is Entity.ACTIVITY and self.config.expand_activity_syllabus:
            params.append(("expand", "syllabus"))

        def items(data: Any, what: str) -> list[Yielded]:
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise SourceError(f"{what}: the page has no data array")
            out: list[Yielded] = []
            for index, row in enumerate(rows):
                if self._lazy:
                    out.append(raw_item(entity, row, f"{what} item {index}", self._ids))
                else:
                    out.extend(map_entity(entity, row, f"{what} item {index}", self._ids))
            return out

        return (yield from self._paged(entity, PATHS[entity], params, items))

    def _deleted(self, entity: Entity, after: str) -> Generator[Yielded, None, dt.datetime]:
        params = [("after", after), ("entities", OBJECT_TYPES[entity])]

        def items(data: Any, what: str) -> list[Yielded]:
            if not isinstance(data, dict) or "data" not in data:
                raise SourceError(f"{what}: the page has no data object")
            # Filter again by type: a server ignoring ``entities`` must not delete other types.
            return [*map_deleted(data["data"], what, self._ids, wanted=(entity,))]

        return (yield from self._paged(entity, "/deletedEntities", params, items))

    def _paged(
        self,
        entity: Entity,
        path: str,
        first_params: list[tuple[str, str]],
        page_items: Callable[[Any, str], list[Yielded]],
    ) -> Generator[Yielded, None, dt.datetime]:
        """Reads every page of one collection; returns the server time of the first answer."""
        limit = ("limit", str(self.config.page_size))
        restarts = 0
        first_answer: dt.datetime | None = None
        while True:
            params = [*first_params, limit]
            page = 0
            token: str | None = None
            try:
                while True:
                    page += 1
                    what = f"GET {path} page {page}"
                    data, answered = self._http.get_json(path, params, what=what)
                    first_answer = first_answer or answered
                    yield from page_items(data, what)
                    self._stats.pages[path] = self._stats.pages.get(path, 0) + 1
                    next_token = data.get("pageToken") if isinstance(data, dict) else None
                    if next_token is None or next_token == "":
                        return first_answer
                    if not isinstance(next_token, str):
                        raise SourceError(f"{what}: pageToken is not a string")
                    if next_token == token:
                        raise SourceError(f"{what}: the server returned the same pageToken again")
                    token = next_token
                    params = [("pageToken", token), limit]
            except RestartFromFirstPage:
                restarts += 1
                self._stats.restarts[path] = self._stats.restarts.get(path, 0) + 1
                if restarts > self.config.max_restarts:
                    raise SourceError(
                        f"GET {path}: the server asked {restarts} times to restart from the "
                        f"first page (data kept changing); giving up after "
                        f"{self.config.max_restarts} restarts"
                    ) from None
                yield SourceIssue(
                    severity="warning",
                    entity=entity,
                    source_id="",
                    message="the server asked to restart paging from the first page "
                    "(its data changed); records already read are read again",
                    location=f"GET {path} page {page}",
                    details={"restart": str(restarts)},
                )

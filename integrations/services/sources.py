"""Which source object reads a run's input."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from core.db import connection
from integrations.models import ImportRun, ImportSource, RegisterCheckpoint, RegisterConnection
from integrations.records import Entity

ALL_ENTITIES = frozenset(Entity)


def tenant_id_secret() -> bytes:
    """Keys the ids derived for rows without register ids (CSV): per municipality, random, kept
    in its own schema (RegisterIdKey), so not guessable from a civic number and independent of
    the server's SECRET_KEY. Made on first use; concurrent first uses agree on one key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO integrations_registeridkey (id, key, created_at)"
            " VALUES (1, %s, now()) ON CONFLICT (id) DO NOTHING",
            [secrets.token_bytes(32)],
        )
        cursor.execute("SELECT key FROM integrations_registeridkey WHERE id = 1")
        return bytes(cursor.fetchone()[0])


class OpenedSource:
    """The records of a run and the entity types the source covers (for gone detection)."""

    def __init__(self, items: Iterator[Any], covered: frozenset[Entity], closer: Any = None):
        self.items = items
        self.covered = covered
        self._closer = closer
        self.api: Any = None

    def close(self) -> None:
        if self._closer is not None:
            self._closer()


def open_source(run: ImportRun) -> OpenedSource:
    secret = tenant_id_secret()
    if run.source == ImportSource.CSV:
        from integrations.sources.csv_export import CsvExportSource

        csv_source = CsvExportSource(run.source_path, id_secret=secret)
        return OpenedSource(csv_source.read(), csv_source.covered_entities)
    if run.source == ImportSource.SS12000_FILES:
        from integrations.sources.ss12000_files import Ss12000FileSource

        files = Ss12000FileSource(run.source_path, id_secret=secret, lazy=True)
        return OpenedSource(files.read(), files.covered_entities)
    from integrations.sources.ss12000_api import Ss12000ApiSource
    from integrations.sources.ss12000_http import Ss12000ApiConfig

    conn = RegisterConnection.objects.get(pk=1)
    config = Ss12000ApiConfig(
        base_url=conn.base_url,
        token_url=conn.token_url,
        client_id=conn.client_id,
        client_secret=conn.client_secret,
    )
    api = Ss12000ApiSource(config, id_secret=secret, lazy=True)
    if run.incremental:
        since = {Entity(c.entity): c.modified_after for c in RegisterCheckpoint.objects.all()}
        opened = OpenedSource(api.read_changes(since), ALL_ENTITIES, api.close)
    else:
        opened = OpenedSource(api.read(), ALL_ENTITIES, api.close)
    opened.api = api
    return opened

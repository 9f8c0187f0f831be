"""The read log: one INSERT per read, append-only and hash-chained per municipality in the
database, verifiable, purged only after the retention, reviewed by the municipality's admins."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import ipaddress
import threading
from collections.abc import Iterator

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connections, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from access.models import AccessLogEntry, AccessLogPurge
from access.readlog.models import GENESIS_HASH
from access.readlog.selectors import access_log_verify
from access.readlog.services import access_log_purge_expired, access_log_record
from core.db import connection
from municipal.models import MunicipalSettings
from tests.conftest import TENANT_A, TENANT_B, TENANT_S
from tests.factories import UserFactory

User = get_user_model()
PASSWORD = "correct horse battery staple"
URLS = "tests.access.readlog_urls"
TABLE = "access_accesslogentry"


def record(
    actor: User, pupils: dict[int, str], resource: str = "pupil.detail", **kw: object
) -> None:
    access_log_record(actor=actor, actor_role="teacher", pupils=pupils, resource=resource, **kw)  # type: ignore[arg-type]


def backdated(months: int = 0, days: int = 0, *, actor_id: int = 1, pupil: int = 7) -> int:
    """An entry written as if read `months` and `days` ago (the service always logs "now")."""
    at = timezone.now() - dt.timedelta(days=months * 31 + days)
    entry = AccessLogEntry.objects.create(
        occurred_at=at, actor_id=actor_id, actor_display="Anna Lärare", actor_role="teacher",
        pupil_ids=[pupil], relations={str(pupil): "teacher"}, resource="pupil.detail",
    )  # fmt: skip
    return entry.pk


def ids() -> list[int]:
    return list(AccessLogEntry.objects.order_by("id").values_list("id", flat=True))


def verify(schema: str) -> str:
    with schema_context(schema):
        return str(access_log_verify())


def head(schema: str) -> tuple[int, str]:
    with schema_context(schema):
        entry = AccessLogEntry.objects.order_by("-id").first()
        assert entry is not None
        return entry.pk, entry.entry_hash


def sign_in(client: Client, username: str, schema: str = TENANT_A.slug) -> None:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    with schema_context(schema):  # the session lives in the municipality's schema
        assert "_auth_user_id" in client.session


# --- Writing: one INSERT, what it records -------------------------------------------------------


def test_a_read_is_logged_with_exactly_one_insert(tenant_a: object) -> None:
    # Given a teacher and a request that went through the request id middleware
    with schema_context(TENANT_A.slug):
        anna = UserFactory(username="anna", first_name="Anna", last_name="Åberg")
        request = RequestFactory().get(
            "/api/v1/pupils/12", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400,
            REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.9",
        )  # fmt: skip
        request.request_id = "req-0000000001"  # type: ignore[attr-defined]
        # When the read of two pupils is logged
        with CaptureQueriesContext(connection) as queries:
            access_log_record(
                actor=anna, actor_role="teacher", pupils={15: "mentor", 12: "teacher"},
                resource="pupil.list", object_ref="group:7A", request=request,
            )  # fmt: skip
        entry = AccessLogEntry.objects.get()
    # Then one statement, an INSERT, wrote the whole entry (the trigger numbered and hashed it).
    # (django-tenants prefixes every cursor with SET search_path: TENANT_LIMIT_SET_CALLS is off.)
    statements = [q["sql"] for q in queries.captured_queries]
    assert [s.split(" ")[0] for s in statements] == ["SET", "INSERT"]
    assert statements[0] == 'SET search_path = "ale","public"'
    assert (entry.id, entry.actor_id, entry.actor_display, entry.actor_role) == (
        1, anna.pk, "Anna Åberg", "teacher",
    )  # fmt: skip
    assert (entry.pupil_ids, entry.relations) == ([12, 15], {"12": "teacher", "15": "mentor"})
    assert (entry.resource, entry.object_ref, entry.request_id) == (
        "pupil.list", "group:7A", "req-0000000001",
    )  # fmt: skip
    # X-Forwarded-For is not believed without trusted proxies
    assert entry.ip == "192.0.2.10"
    assert entry.user_agent == ("Mozilla/5.0 " + "x" * 400)[:300]
    assert entry.prev_hash == GENESIS_HASH
    assert len(entry.entry_hash) == 64
    assert entry.entry_hash != GENESIS_HASH


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_logged(tenant_a: object) -> None:
    # Given one trusted proxy that appended the client's address to a forged header
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 2001:db8::7"
    )
    with schema_context(TENANT_A.slug):
        # When a read is logged
        record(UserFactory(username="anna"), {12: "teacher"}, request=request)
        # Then the address the proxy saw is kept, not the forged one
        assert AccessLogEntry.objects.get().ip == "2001:db8::7"


def test_a_read_outside_a_request_is_logged_without_request_facts(
    tenant_a: object,
) -> None:
    # Given a report run for a user in a task (no request)
    with schema_context(TENANT_A.slug):
        anna = UserFactory(username="anna")
        # When it is logged
        result = access_log_record(
            actor=anna, actor_role="principal", pupils={3: "principal"}, resource="report.run"
        )
        entry = AccessLogEntry.objects.get()
    # Then it is logged without request facts
    assert result is None
    assert (entry.ip, entry.user_agent, entry.request_id) == (None, "", "")


def test_a_list_that_returned_nobody_is_still_logged(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given a search that found no pupils
        anna = UserFactory(username="anna")
        # When it is logged
        record(anna, {}, resource="pupil.list", object_ref="q=Svensson")
        # Then the read is on record, with no pupils
        assert list(AccessLogEntry.objects.values_list("pupil_ids", "relations", "object_ref")) == [
            ([], {}, "q=Svensson")
        ]


@pytest.mark.parametrize(
    ("pupils", "error"),
    [({"12": "teacher"}, TypeError), ({12: ""}, ValueError), ({True: "teacher"}, TypeError)],
)
def test_a_read_without_a_pupil_id_or_a_relation_is_refused(
    tenant_a: object, pupils: dict[int, str], error: type[Exception]
) -> None:
    with schema_context(TENANT_A.slug):
        anna = UserFactory(username="anna")
        with pytest.raises(error):
            record(anna, pupils)
        assert AccessLogEntry.objects.count() == 0


# --- Append-only, in the database ---------------------------------------------------------------


def _orm_update(pk: int) -> None:
    AccessLogEntry.objects.filter(pk=pk).update(actor_role="principal")


def _orm_save(pk: int) -> None:
    entry = AccessLogEntry.objects.get(pk=pk)
    entry.pupil_ids = [99]
    entry.save()


def _orm_delete(pk: int) -> None:
    AccessLogEntry.objects.get(pk=pk).delete()


def _orm_bulk_delete(pk: int) -> None:
    AccessLogEntry.objects.all().delete()


def _sql(statement: str) -> object:
    def run(pk: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement.format(table=TABLE), [pk] if "%s" in statement else [])

    return run


@pytest.mark.parametrize(
    "change",
    [
        _orm_update,
        _orm_save,
        _orm_delete,
        _orm_bulk_delete,
        _sql("UPDATE {table} SET resource = 'nothing' WHERE id = %s"),
        _sql("UPDATE {table} SET entry_hash = prev_hash WHERE id = %s"),
        _sql("DELETE FROM {table} WHERE id = %s"),
        _sql("TRUNCATE {table}"),
        _sql("UPDATE access_accesslogpurge SET through_id = 0"),
        _sql("DELETE FROM access_accesslogpurge"),
        _sql("TRUNCATE access_accesslogpurge"),
    ],
    ids=[
        "orm-update", "orm-save", "orm-delete", "orm-bulk-delete", "sql-update",
        "sql-update-hash", "sql-delete", "sql-truncate", "sql-update-checkpoint",
        "sql-delete-checkpoint", "sql-truncate-checkpoint",
    ],
)  # fmt: skip
@pytest.mark.parametrize("schema", [TENANT_A.slug, TENANT_B.slug])
def test_the_database_refuses_to_change_or_remove_entries(
    tenant_a: object, schema: str, change: object
) -> None:
    with schema_context(schema):
        # Given an entry (long expired, even) and a purge checkpoint
        pk = backdated(months=40)
        AccessLogPurge.objects.create(
            cutoff=timezone.now(), retention_months=24, through_id=0, through_hash=GENESIS_HASH,
            entries_purged=0,
        )  # fmt: skip
        before = list(AccessLogEntry.objects.values_list("id", "resource", "entry_hash"))
        # When it is changed or removed
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            change(pk)  # type: ignore[operator]
        # Then the database refused and nothing changed
        assert list(AccessLogEntry.objects.values_list("id", "resource", "entry_hash")) == before
        assert AccessLogPurge.objects.filter(through_id=0).count() == 1


def test_ids_and_hashes_sent_by_the_application_are_ignored(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given an insert that claims an id and hashes
        AccessLogEntry.objects.create(
            id=500, actor_id=1, actor_display="X", actor_role="teacher", resource="pupil.detail",
            prev_hash="f" * 64, entry_hash="e" * 64,
        )  # fmt: skip
        entry = AccessLogEntry.objects.get()
    # Then the trigger numbered and chained it itself
    assert (entry.id, entry.prev_hash) == (1, GENESIS_HASH)
    assert entry.entry_hash != "e" * 64
    assert verify(TENANT_A.slug) == f"OK: 1 entries, head 1 {entry.entry_hash}"


# --- The chain ----------------------------------------------------------------------------------


def test_the_chain_links_every_entry_to_the_one_before(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given three reads
        anna = UserFactory(username="anna")
        for pupil in (1, 2, 3):
            record(anna, {pupil: "teacher"})
        entries = list(
            AccessLogEntry.objects.order_by("id").values_list("id", "prev_hash", "entry_hash")
        )
    # Then they are numbered 1..3 and each points at the hash of the one before
    assert [e[0] for e in entries] == [1, 2, 3]
    assert [e[1] for e in entries] == [GENESIS_HASH, entries[0][2], entries[1][2]]
    assert verify(TENANT_A.slug) == f"OK: 3 entries, head 3 {entries[2][2]}"


def test_the_digest_is_reproducible_outside_the_database(tenant_a: object) -> None:
    """docs/read-log.md documents the digest so an auditor can recompute it with any SHA-256."""

    def field(value: str) -> str:
        return f"{len(value.encode())}:{value};"

    def digest(prev: str, e: AccessLogEntry) -> str:
        micros = (e.occurred_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(
            microseconds=1
        )
        relations = "".join(
            field(k) + field(v)
            for k, v in sorted(e.relations.items(), key=lambda kv: kv[0].encode())
        )
        fields = [
            str(e.id), str(micros), str(e.actor_id), e.actor_display, e.actor_role,
            ",".join(str(p) for p in e.pupil_ids), relations, e.resource, e.object_ref,
            e.request_id, ipaddress.ip_interface(e.ip).with_prefixlen if e.ip else "", e.user_agent,
        ]  # fmt: skip
        text = prev + "\nlarspar-access-log-v1\n" + "".join(field(f) for f in fields)
        return hashlib.sha256(text.encode()).hexdigest()

    with schema_context(TENANT_A.slug):
        # Given entries with non-ASCII text, IPv4 and IPv6, many and no pupils
        anna = UserFactory(username="anna", first_name="Åsa", last_name="Öberg-Ärlig")
        v4 = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="Räv;1:2")
        v6 = RequestFactory().get("/", REMOTE_ADDR="2001:db8::1")
        record(anna, {10: "teacher", 9: "mentor", 100: "guardian"}, request=v4, object_ref="ä:ö")
        record(anna, {}, resource="pupil.list", request=v6)
        record(anna, {5: "self"})
        entries = list(AccessLogEntry.objects.order_by("id"))
    # Then the documented recipe gives exactly the stored hashes
    prev = GENESIS_HASH
    for entry in entries:
        assert (entry.prev_hash, digest(prev, entry)) == (prev, entry.entry_hash)
        prev = entry.entry_hash


def test_tampering_with_a_middle_entry_names_exactly_that_entry(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given five entries
        anna = UserFactory(username="anna")
        for pupil in range(1, 6):
            record(anna, {pupil: "teacher"})
        # When a superuser switches the guard off and rewrites the third one
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE access_accesslogentry DISABLE TRIGGER access_log_guard")
            cursor.execute(
                "UPDATE access_accesslogentry SET pupil_ids = '{4}', relations = '{}' WHERE id = 3"
            )
            cursor.execute("ALTER TABLE access_accesslogentry ENABLE TRIGGER access_log_guard")
        assert AccessLogEntry.objects.get(pk=3).pupil_ids == [4]
        # Then verification names entry 3
        out = io.StringIO()
        with pytest.raises(CommandError, match="broken in: ale"):
            call_command("verify_access_log", schema=TENANT_A.slug, stdout=out)
    assert out.getvalue() == "BROKEN at entry 3: its contents do not match its hash\n"


def test_a_rehashed_entry_is_found_by_the_link_from_the_next_one(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given four entries, and a tamperer who also recomputes the changed entry's own hash
        anna = UserFactory(username="anna")
        for pupil in range(1, 5):
            record(anna, {pupil: "teacher"})
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE access_accesslogentry DISABLE TRIGGER access_log_guard")
            cursor.execute(
                "UPDATE access_accesslogentry SET actor_id = 999, entry_hash = access_log_digest("
                "prev_hash, id, occurred_at, 999, actor_display, actor_role, pupil_ids, "
                "relations, resource, object_ref, request_id, ip, user_agent) WHERE id = 2"
            )
            cursor.execute("ALTER TABLE access_accesslogentry ENABLE TRIGGER access_log_guard")
    # Then the next entry's link gives it away
    assert verify(TENANT_A.slug) == "BROKEN at entry 3: its previous hash does not match entry 2"


def test_a_removed_middle_entry_is_named_by_the_gap(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given four entries, and a superuser who removes the second one
        anna = UserFactory(username="anna")
        for pupil in range(1, 5):
            record(anna, {pupil: "teacher"})
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE access_accesslogentry DISABLE TRIGGER access_log_guard")
            cursor.execute("DELETE FROM access_accesslogentry WHERE id = 2")
            cursor.execute("ALTER TABLE access_accesslogentry ENABLE TRIGGER access_log_guard")
    # Then verification names the entry after the gap
    assert verify(TENANT_A.slug) == "BROKEN at entry 3: entries 2..2 are missing"


def test_chains_are_per_municipality(tenant_a: object) -> None:
    # Given reads in Ale, then in Borås
    with schema_context(TENANT_A.slug):
        anna = UserFactory(username="anna")
        record(anna, {1: "teacher"})
        record(anna, {2: "teacher"})
    with schema_context(TENANT_B.slug):
        bo = UserFactory(username="bo")
        record(bo, {1: "mentor"})
        only_b = AccessLogEntry.objects.get()
    # Then Borås's chain starts from its own genesis, not from Ale's head
    assert (only_b.id, only_b.prev_hash) == (1, GENESIS_HASH)
    # And breaking Ale's chain leaves Borås's intact
    with schema_context(TENANT_A.slug), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE access_accesslogentry DISABLE TRIGGER access_log_guard")
        cursor.execute("UPDATE access_accesslogentry SET resource = 'x' WHERE id = 1")
        cursor.execute("ALTER TABLE access_accesslogentry ENABLE TRIGGER access_log_guard")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_access_log", all=True, stdout=out)
    assert out.getvalue() == (
        "ale: BROKEN at entry 1: its contents do not match its hash\n"
        f"boras: OK: 1 entries, head 1 {only_b.entry_hash}\n"
    )


def test_the_verify_command_says_ok_for_every_serving_municipality(tenant_a: object) -> None:
    # Given two reads in Ale and none in Borås
    with schema_context(TENANT_A.slug):
        anna = UserFactory(username="anna")
        record(anna, {1: "teacher"})
        record(anna, {2: "teacher"})
    ale_head = head(TENANT_A.slug)
    # When every serving municipality is verified (the suspended one is not serving)
    out = io.StringIO()
    call_command("verify_access_log", all=True, stdout=out)
    # Then both are OK
    assert out.getvalue() == f"ale: OK: 2 entries, head 2 {ale_head[1]}\nboras: OK: 0 entries\n"


def test_the_verify_command_refuses_an_unknown_municipality(db: None) -> None:
    with pytest.raises(CommandError, match="No municipality with the slug 'tpl'"):
        call_command("verify_access_log", schema="tpl")


@pytest.fixture
def committed_in_sotenas(committed_db: None) -> Iterator[None]:
    """Committed entries in the suspended municipality (no other test logs there), removed
    afterwards with the triggers switched off (the test database user is a superuser)."""
    yield
    with schema_context(TENANT_S.slug), connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM access_accesslogentry")
        cursor.execute("DELETE FROM access_accesslogpurge")
        cursor.execute("RESET session_replication_role")


def test_concurrent_reads_keep_the_chain_linear(committed_in_sotenas: None) -> None:
    # Given eight connections that log at the same moment, each inside its own transaction
    with schema_context(TENANT_S.slug):
        actor = UserFactory(username="committed-concurrent")
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def reader(n: int) -> None:
        try:
            with schema_context(TENANT_S.slug):
                start.wait()
                for i in range(10):
                    with transaction.atomic():
                        record(actor, {n * 100 + i: "teacher"})
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    # When they all run
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every entry is numbered 1..80 and chained to exactly the one before it
    assert errors == []
    with schema_context(TENANT_S.slug):
        rows = list(
            AccessLogEntry.objects.order_by("id").values_list("id", "prev_hash", "entry_hash")
        )
        report = str(access_log_verify())
    assert [r[0] for r in rows] == list(range(1, 81))
    assert [r[1] for r in rows] == [GENESIS_HASH] + [r[2] for r in rows[:-1]]
    assert report == f"OK: 80 entries, head 80 {rows[-1][2]}"


def test_a_repeatable_read_transaction_cannot_log(db: None) -> None:
    # Given a REPEATABLE READ transaction (it could not see entries committed after it began)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute(f"SET search_path TO {TENANT_B.slug}")
        raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        # When it logs a read, the database refuses
        with pytest.raises(psycopg.errors.InvalidTransactionState, match="READ COMMITTED"):
            raw.execute(
                "INSERT INTO access_accesslogentry (actor_id, actor_display, actor_role,"
                " pupil_ids, relations, resource, object_ref, request_id, user_agent)"
                " VALUES (1, 'A', 'teacher', '{1}', '{}', 'pupil.detail', '', '', '')"
            )
        raw.execute("ROLLBACK")


# --- Retention ----------------------------------------------------------------------------------


def set_retention(months: int) -> None:
    MunicipalSettings.objects.update_or_create(
        id=1, defaults={"access_log_retention_months": months}
    )


def test_a_retention_below_24_months_is_refused(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given an expired entry and a retention setting of 12 months
        backdated(months=30)
        set_retention(12)
        # When a purge runs
        with pytest.raises(ValidationError) as refused:
            access_log_purge_expired()
        # Then it is refused with a clear message, and nothing was purged
        assert refused.value.message_dict == {
            "access_log_retention_months": [
                "The access log must be kept at least 24 months; the setting is 12. "
                "Nothing was purged."
            ]
        }
        assert ids() == [1]


def test_a_purge_removes_expired_entries_and_the_chain_still_verifies(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given two entries older than 24 months, then two young ones
        backdated(months=30)
        backdated(months=26)
        backdated(days=1)
        record(UserFactory(username="anna"), {7: "teacher"})
        second_hash = AccessLogEntry.objects.get(pk=2).entry_hash
        # When the expired ones are purged
        purged = access_log_purge_expired()
        # Then exactly those went, with a checkpoint where the remaining chain starts
        assert (purged, ids()) == (2, [3, 4])
        checkpoint = AccessLogPurge.objects.get()
        assert (checkpoint.through_id, checkpoint.through_hash) == (2, second_hash)
        assert (checkpoint.entries_purged, checkpoint.retention_months) == (2, 24)
        # And the chain verifies, also after the next read
        assert str(access_log_verify()).startswith("OK: 2 entries, head 4 ")
        record(UserFactory(username="bo"), {8: "teacher"})
        assert str(access_log_verify()).startswith("OK: 3 entries, head 5 ")
        # And a second purge has nothing left to do
        assert access_log_purge_expired() == 0


def test_an_expired_entry_after_a_younger_one_waits_for_the_next_purge(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given an expired entry, a young one, and a (backdated) expired one after it
        backdated(months=30)
        backdated(days=1)
        backdated(months=30)
        # When a purge runs
        purged = access_log_purge_expired()
        # Then only the prefix went: the chain has no holes
        assert (purged, ids()) == (1, [2, 3])
        assert str(access_log_verify()).startswith("OK: 2 entries")


def test_a_longer_retention_is_respected(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given a municipality that keeps its log 36 months
        set_retention(36)
        backdated(months=40)
        backdated(months=30)
        backdated(days=1)
        # When a purge runs
        purged = access_log_purge_expired()
        # Then only the entry older than 36 months went
        assert (purged, ids()) == (1, [2, 3])
        assert AccessLogPurge.objects.get().retention_months == 36


def test_after_purging_everything_the_chain_continues_from_the_checkpoint(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given only expired entries, all purged
        backdated(months=30)
        backdated(months=29)
        last_hash = AccessLogEntry.objects.get(pk=2).entry_hash
        assert access_log_purge_expired() == 2
        assert str(access_log_verify()) == "OK: 0 entries"
        # When the next read is logged
        record(UserFactory(username="anna"), {7: "teacher"})
        entry = AccessLogEntry.objects.get()
        # Then it continues the numbering and the chain from the checkpoint
        assert (entry.id, entry.prev_hash) == (3, last_hash)
        assert str(access_log_verify()) == f"OK: 1 entries, head 3 {entry.entry_hash}"


def test_a_purge_in_one_municipality_leaves_the_other_alone(tenant_a: object) -> None:
    # Given expired entries in both municipalities
    for schema in (TENANT_A.slug, TENANT_B.slug):
        with schema_context(schema):
            backdated(months=30)
    # When Ale purges
    with schema_context(TENANT_A.slug):
        assert access_log_purge_expired() == 1
    # Then Borås still has its entry
    with schema_context(TENANT_B.slug):
        assert (ids(), AccessLogPurge.objects.count()) == ([1], 0)


def test_the_database_lets_a_purge_delete_only_expired_entries(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        # Given an expired and a young entry, and the purge flag on
        old, young = backdated(months=25), backdated(months=23)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('larspar.retention_purge', 'on', true)")
            # When the young one is deleted, it is refused
            refused = pytest.raises(IntegrityError, match="within the retention of 24 months")
            with refused, transaction.atomic():
                cursor.execute("DELETE FROM access_accesslogentry WHERE id = %s", [young])
            # And the expired one may go
            cursor.execute("DELETE FROM access_accesslogentry WHERE id = %s", [old])
            cursor.execute("SELECT set_config('larspar.retention_purge', 'off', true)")
        assert ids() == [young]


def test_the_purge_command_reports_per_municipality(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        backdated(months=30)
    with schema_context(TENANT_B.slug):
        set_retention(6)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="Nothing purged in: boras"):
        call_command("purge_access_log", all=True, stdout=out, stderr=err)
    assert out.getvalue() == "ale: purged 1 entries\nsotenas: purged 0 entries\n"
    assert err.getvalue() == (
        "boras: REFUSED: The access log must be kept at least 24 months; the setting is 6. "
        "Nothing was purged.\n"
    )


# --- Review API (municipality administrators) ---------------------------------------------------


@pytest.fixture
def ale_log(tenant_a: object) -> dict[str, int]:
    """Ale: an admin, two teachers, and reads on three days (Stockholm time)."""
    with schema_context(TENANT_A.slug):
        admin = UserFactory(username="admin", is_municipality_admin=True)
        anna = UserFactory(username="anna", first_name="Anna", last_name="Lind")
        bo = UserFactory(username="bo", first_name="=Bo", last_name="Ek")
        tz = timezone.get_current_timezone()

        def read(who: User, pupils: dict[int, str], day: dt.date, hour: int) -> int:
            entry = AccessLogEntry.objects.create(
                occurred_at=dt.datetime.combine(day, dt.time(hour), tzinfo=tz),
                actor_id=who.pk, actor_display=who.get_full_name(), actor_role="teacher",
                pupil_ids=sorted(pupils), relations={str(k): v for k, v in pupils.items()},
                resource="pupil.detail", ip="192.0.2.4", user_agent="Firefox",
            )  # fmt: skip
            return entry.pk

        return {
            "admin": admin.pk, "anna": anna.pk, "bo": bo.pk,
            "e1": read(anna, {10: "teacher"}, dt.date(2025, 3, 1), 8),
            "e2": read(anna, {10: "teacher", 11: "mentor"}, dt.date(2025, 3, 2), 0),
            "e3": read(bo, {11: "mentor"}, dt.date(2025, 3, 2), 23),
            "e4": read(bo, {12: "teacher"}, dt.date(2025, 3, 3), 9),
        }  # fmt: skip


@pytest.mark.urls(URLS)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The review itself is logged first (today, by the admin, no pupils): "review".
        ("", ["review", "e4", "e3", "e2", "e1"]),
        ("pupil=10", ["e2", "e1"]),
        ("pupil=11", ["e3", "e2"]),
        ("actor={anna}", ["e2", "e1"]),
        ("actor={admin}", ["review"]),
        ("since=2025-03-02&until=2025-03-03", ["e4", "e3", "e2"]),
        ("until=2025-03-02", ["e3", "e2", "e1"]),
        ("since=2025-03-02&until=2025-03-02", ["e3", "e2"]),
        ("pupil=11&actor={bo}&since=2025-03-01&until=2025-03-02", ["e3"]),
        ("pupil=99", []),
    ],
)
def test_admins_filter_the_log_by_pupil_actor_and_days(
    ale_log: dict[str, int], client_a: Client, query: str, expected: list[str]
) -> None:
    # Given Ale's admin, signed in
    sign_in(client_a, "admin")
    # When the log is asked for (days are Stockholm days: 00:00 on 2 March is 1 March in UTC)
    response = client_a.get("/api/v1/access-log?" + query.format(**ale_log))
    # Then exactly the matching entries come, newest first
    assert response.status_code == 200
    known = {**ale_log, "review": ale_log["e4"] + 1}
    assert [item["id"] for item in response.json()["results"]] == [known[e] for e in expected]
    assert response.json()["count"] == len(expected)


@pytest.mark.urls(URLS)
def test_an_item_carries_every_field_and_the_review_is_logged(
    ale_log: dict[str, int], client_a: Client
) -> None:
    # Given Ale's admin, signed in
    sign_in(client_a, "admin")
    # When they look up who read pupil 11 on 2 March
    response = client_a.get(
        "/api/v1/access-log?pupil=11&since=2025-03-02&until=2025-03-02",
        HTTP_X_REQUEST_ID="review-request-1", HTTP_USER_AGENT="Edge",
    )  # fmt: skip
    # Then each item has the whole entry
    assert response.json()["results"][0] == {
        "id": ale_log["e3"], "occurred_at": "2025-03-02T23:00:00+01:00",
        "actor_id": ale_log["bo"], "actor_display": "=Bo Ek", "actor_role": "teacher",
        "pupil_ids": [11], "relations": {"11": "mentor"}, "resource": "pupil.detail",
        "object_ref": "", "request_id": "", "ip": "192.0.2.4", "user_agent": "Firefox",
    }  # fmt: skip
    # And the review itself is on record, without pupils, with what was looked for
    with schema_context(TENANT_A.slug):
        review = AccessLogEntry.objects.order_by("-id").first()
    assert review is not None
    assert (review.actor_id, review.actor_role, review.pupil_ids, review.resource) == (
        ale_log["admin"], "municipality_admin", [], "access_log.review",
    )  # fmt: skip
    assert (review.object_ref, review.request_id, review.user_agent) == (
        "pupil=11&since=2025-03-02&until=2025-03-02", "review-request-1", "Edge",
    )  # fmt: skip
    assert verify(TENANT_A.slug).startswith("OK: 5 entries")


@pytest.mark.urls(URLS)
@pytest.mark.parametrize(
    ("query", "field"),
    [("pupil=x", "pupil"), ("since=2025-03-03&until=2025-03-01", "until"), ("since=3/1", "since")],
)
def test_bad_filters_are_a_400(
    ale_log: dict[str, int], client_a: Client, query: str, field: str
) -> None:
    sign_in(client_a, "admin")
    response = client_a.get("/api/v1/access-log?" + query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.urls(URLS)
@pytest.mark.parametrize("path", ["/api/v1/access-log", "/api/v1/access-log/export.csv"])
def test_others_than_admins_get_a_403(ale_log: dict[str, int], client_a: Client, path: str) -> None:
    # Given a teacher, signed in
    sign_in(client_a, "anna")
    # When they ask for the log
    response = client_a.get(path)
    # Then they are refused, and nothing was reviewed
    assert response.status_code == 403
    with schema_context(TENANT_A.slug):
        assert AccessLogEntry.objects.filter(resource__startswith="access_log.").count() == 0


@pytest.mark.urls(URLS)
def test_an_admin_of_a_is_not_signed_in_at_b(
    ale_log: dict[str, int], client_a: Client, client_b: Client
) -> None:
    # Given Ale's admin signed in at Ale (and an admin with the same id in Borås)
    with schema_context(TENANT_B.slug):
        UserFactory(username="b-admin", is_municipality_admin=True)
        User.objects.filter(username="b-admin").update(id=ale_log["admin"])
    sign_in(client_a, "admin")
    assert client_a.get("/api/v1/access-log").status_code == 200
    # When Ale's session cookie is sent to Borås's host
    client_b.cookies = client_a.cookies
    response = client_b.get("/api/v1/access-log")
    # Then Borås sees an anonymous request, exactly as if no cookie had been sent
    anonymous = Client(HTTP_HOST=TENANT_B.domain).get("/api/v1/access-log")
    assert response.status_code == 403
    assert response.json() == anonymous.json()
    with schema_context(TENANT_B.slug):
        assert AccessLogEntry.objects.count() == 0


@pytest.mark.urls(URLS)
def test_the_export_streams_the_same_selection_as_csv(
    ale_log: dict[str, int], client_a: Client
) -> None:
    # Given Ale's admin, signed in
    sign_in(client_a, "admin")
    # When they export what Bo read until 2 March
    response = client_a.get(f"/api/v1/access-log/export.csv?actor={ale_log['bo']}&until=2025-03-02")
    # Then a CSV file streams, with formulas defused
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-ale-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows == [
        ["id", "occurred_at", "actor_id", "actor_display", "actor_role", "pupil_ids",
         "relations", "resource", "object_ref", "request_id", "ip", "user_agent"],
        [str(ale_log["e3"]), "2025-03-02T23:00:00+01:00", str(ale_log["bo"]), "'=Bo Ek",
         "teacher", "11", '{"11": "mentor"}', "pupil.detail", "", "", "192.0.2.4", "Firefox"],
    ]  # fmt: skip
    # And the export is on record
    with schema_context(TENANT_A.slug):
        review = AccessLogEntry.objects.order_by("-id").first()
    assert review is not None
    assert (review.resource, review.object_ref) == (
        "access_log.export", f"actor={ale_log['bo']}&until=2025-03-02",
    )  # fmt: skip


@pytest.mark.urls(URLS)
def test_the_export_streams_more_than_one_chunk(
    ale_log: dict[str, int], client_a: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given chunks of two entries
    monkeypatch.setattr("access.readlog.api.EXPORT_CHUNK", 2)
    sign_in(client_a, "admin")
    # When everything until 3 March is exported
    response = client_a.get("/api/v1/access-log/export.csv?until=2025-03-03")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    # Then every entry comes once, newest first
    assert [r[0] for r in rows[1:]] == [str(ale_log[e]) for e in ("e4", "e3", "e2", "e1")]

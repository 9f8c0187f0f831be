"""Benchmark: how long onboarding one municipality takes (`make bench-onboarding`).

Runs against the real PostgreSQL test database (tests/conftest.py creates it with the template
schema and three municipalities) and outside any test transaction: every onboarding commits, so
what is timed is what a real one costs. Everything created here is dropped at the end.

Series, interleaved so that each sees the same database (it grows by three schemas a round):

* ``onboarding``: ``municipality_onboard(...)`` as it is -- checks, rows, the schema copied from
  the template, migrations recorded, invitation, COMMIT.
* ``onboarding_clone_schema``: the same call forced onto django-tenants' ``clone_schema()`` SQL
  function (what onboarding used before, and still uses for a template it cannot copy itself).
* ``onboarding_default``: django-tenants' default for the same apps: migrate on create
  (``TENANT_CREATION_FAKES_MIGRATIONS = False``, ``auto_create_schema = True``, ``save()``),
  plus the same host name and invitation, in autocommit as django-tenants runs it.

Then a few onboardings are timed phase by phase. Unless ``BENCH_ONBOARDING_SCALE=0``, the
database is then filled with municipalities so that 20 more onboardings (and 5 through
clone_schema()) bring it to ``BENCH_ONBOARDING_SCALE`` schemas (default 150), to see how the
number of municipalities affects the time. Every schema created is compared with the template,
object by object. Figures are printed as ``BENCH <figure> <value> <unit>``: p50 is the median,
p90 the nearest-rank 90th percentile.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django_tenants.utils import schema_context

from accounts.models import InvitationRole
from accounts.services.invitations import invitation_create
from core.db import connection
from tenants.models import Domain, Municipality, MunicipalityStatus
from tenants.services import onboarding as onboarding_module
from tenants.services import schemas as schemas_module
from tenants.services.onboarding import municipality_onboard

RUNS = 20
PROFILED_RUNS = 5
SCALE_RUNS = 20
SCALE_CLONE_SCHEMA_RUNS = 5
SCALE_SCHEMAS = int(os.environ.get("BENCH_ONBOARDING_SCALE", "150"))
GOAL_P50_SECONDS = 1.0
# First digit of the (made-up) four-digit municipality codes of each series.
CODE_DIGIT = {"o": "7", "c": "5", "d": "8", "p": "9", "f": "6", "s": "4", "x": "3"}


def bench(figure: str, value: float | int, unit: str) -> None:
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"BENCH {figure} {shown} {unit}", flush=True)


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p90(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def spec(series: str, number: int) -> dict[str, str]:
    slug = f"bench{series}{number:03d}"
    return {
        "name": f"Benchmark {series.upper()} {number}",
        "code": f"{CODE_DIGIT[series]}{number:03d}",
        "slug": slug,
        "domain": f"{slug}.larspar.test",
        "admin_email": f"admin@{slug}.example",
    }


def schema_count() -> int:
    """Schemas in the database besides PostgreSQL's own (public, template, municipalities)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace"
            " WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
        )
        return int(cursor.fetchone()[0])


def drop_bench_tenants() -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench%'")
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    Domain.objects.filter(tenant__schema_name__startswith="bench").delete()
    Municipality.objects.filter(schema_name__startswith="bench").delete()


# --- What a schema holds, to compare a new municipality's with the template's ------------------

# Read with the search path set to the schema itself, so that its own objects appear without a
# schema name and two schemas with the same structure give the same rows.
FINGERPRINT_SQL = {
    "tables": """
        SELECT c.relname, c.relpersistence, c.reloptions::text, c.relacl::text,
               pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class')
          FROM pg_class c WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind = 'r'""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, co.collname,
               a.attstorage, a.attcompression, a.attacl::text, col_description(c.oid, a.attnum),
               rank() OVER (PARTITION BY c.oid ORDER BY a.attnum)
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          LEFT JOIN pg_collation co ON co.oid = a.attcollation
         WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind = 'r'
           AND a.attnum > 0 AND NOT a.attisdropped""",
    "sequences": """
        SELECT s.relname, t.relname, a.attname, d.deptype, q.seqtypid::regtype::text,
               q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle
          FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
          LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          LEFT JOIN pg_class t ON t.oid = d.refobjid
          LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE s.relnamespace = %(schema)s::regnamespace AND s.relkind = 'S'""",
    "constraints": """
        SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid),
               con.condeferrable, con.condeferred, con.convalidated
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
         WHERE c.relnamespace = %(schema)s::regnamespace""",
    "indexes": """
        SELECT t.relname, ic.relname,
               replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(n.nspname) || '.',
                       ' ON '),
               i.indisprimary, i.indisunique, i.indisvalid
          FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE t.relnamespace = %(schema)s::regnamespace""",
    "triggers": """
        SELECT c.relname, t.tgname, t.tgenabled,
               replace(pg_get_triggerdef(t.oid), ' ON ' || quote_ident(n.nspname) || '.', ' ON ')
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relnamespace = %(schema)s::regnamespace AND NOT t.tgisinternal""",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid),
               pg_get_function_result(p.oid), p.prokind, p.provolatile, p.proparallel,
               p.prosecdef, p.proisstrict, p.proconfig::text, l.lanname, p.prosrc,
               p.proacl::text, pg_get_userbyid(p.proowner)
          FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
         WHERE p.pronamespace = %(schema)s::regnamespace""",
    "other_objects": """
        SELECT c.relname, c.relkind::text FROM pg_class c
         WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind NOT IN ('r', 'i', 'S')
        UNION ALL
        SELECT typname, 'type' FROM pg_type
         WHERE typnamespace = %(schema)s::regnamespace AND typrelid = 0 AND typelem = 0""",
    "migrations": "SELECT app, name FROM django_migrations",
}


def schema_fingerprint(schema: str) -> dict[str, list[tuple[str, ...]]]:
    fingerprint = {}
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}"')
        for kind, query in FINGERPRINT_SQL.items():
            cursor.execute(query, {"schema": schema})
            fingerprint[kind] = sorted(tuple(map(str, row)) for row in cursor.fetchall())
    connection.set_schema_to_public()  # the next cursor sets the search path again
    return fingerprint


# --- The series ---------------------------------------------------------------------------------


def onboard(values: dict[str, str]) -> float:
    started = time.perf_counter()
    result = municipality_onboard(**values)
    elapsed = time.perf_counter() - started
    assert result.schema_path == "clone"
    return elapsed


def onboard_with_clone_schema(values: dict[str, str], patch: pytest.MonkeyPatch) -> float:
    """Onboarding as before: the template copied by django-tenants' clone_schema() function."""
    with patch.context() as forced:
        forced.setattr(schemas_module, "_template_copy_ddl", lambda *args, **kwargs: None)
        return onboard(values)


def onboard_default(values: dict[str, str], patch: pytest.MonkeyPatch) -> float:
    """django-tenants' default: the tenant's save() creates its schema and runs every migration."""
    with patch.context() as default:
        default.setattr(settings, "TENANT_CREATION_FAKES_MIGRATIONS", False)
        started = time.perf_counter()
        municipality = Municipality(
            schema_name=values["slug"],
            name=values["name"],
            code=values["code"],
            status=MunicipalityStatus.ONBOARDING,
        )
        municipality.auto_create_schema = True  # type: ignore[misc]
        municipality.save(verbosity=0)
        Domain.objects.create(domain=values["domain"], tenant=municipality, is_primary=True)
        with schema_context(values["slug"]):
            invitation_create(
                email=values["admin_email"],
                role=InvitationRole.MUNICIPALITY_ADMIN,
                base_url=f"http://{values['domain']}",
            )
        elapsed = time.perf_counter() - started
    connection.set_schema_to_public()
    return elapsed


class PhaseClock:
    """Adds up wall time per onboarding phase: wrapped functions, SQL statements, the COMMIT."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.depth = 0  # inside a wrapped function: its SQL belongs to that function's phase

    def wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            self.depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.depth -= 1
                self.totals[phase] += time.perf_counter() - started

        return timed

    def sql(self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any):
        if self.depth:
            return execute(sql, params, many, context)
        if not isinstance(sql, str):  # psycopg.sql.Composed
            sql = sql.as_string(context["connection"].connection)
        text = " ".join(sql.split()).lower()
        if text.startswith("create schema"):
            phase = "schema_copy_ddl"
        elif "clone_schema(" in text:
            phase = "clone_schema"
        elif text.startswith("insert into") and "django_migrations" in text:
            phase = "migration_records"
        elif 'insert into "tenants_' in text:
            phase = "tenant_rows"
        else:
            phase = "other_sql"
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.totals[phase] += time.perf_counter() - started


def profile_onboarding(patch: pytest.MonkeyPatch, runs: int) -> tuple[list[float], dict]:
    clock = PhaseClock()
    raw = connections["default"]
    wrapped = {
        "validation": (onboarding_module, "validate_onboarding_input"),
        "duplicate_checks": (onboarding_module, "_refuse_duplicates"),
        "template_check": (schemas_module, "template_is_current"),
        "schema_copy_generation": (schemas_module, "_template_copy_ddl"),
        "invitation": (onboarding_module, "invitation_create"),
    }
    totals = []
    with patch.context() as profiled:
        for phase, (module, attribute) in wrapped.items():
            profiled.setattr(module, attribute, clock.wrap(phase, getattr(module, attribute)))
        profiled.setattr(raw, "_commit", clock.wrap("commit", raw._commit))
        with raw.execute_wrapper(clock.sql):
            for number in range(runs):
                totals.append(onboard(spec("p", number)))
    phases = {phase: total / runs for phase, total in clock.totals.items()}
    phases["python_and_rest"] = statistics.mean(totals) - sum(phases.values())
    return totals, phases


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Real transactions (no test transaction around them); drops the bench tenants afterwards."""
    with django_db_blocker.unblock():
        drop_bench_tenants()
        try:
            yield
        finally:
            connection.set_schema_to_public()
            drop_bench_tenants()


def test_onboarding_p50(committed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not connection.in_atomic_block, "must run outside a test transaction"
    template = settings.TENANT_BASE_SCHEMA
    expected = schema_fingerprint(template)
    schemas_at_start = schema_count()

    ours, clone_schema, default = [], [], []
    for number in range(RUNS):
        ours.append(onboard(spec("o", number)))
        clone_schema.append(onboard_with_clone_schema(spec("c", number), monkeypatch))
        default.append(onboard_default(spec("d", number), monkeypatch))
    schemas_after_series = schema_count()

    profiled, phases = profile_onboarding(monkeypatch, PROFILED_RUNS)

    at_scale, clone_schema_at_scale = [], []
    if SCALE_SCHEMAS:
        filler = 0
        while schema_count() < SCALE_SCHEMAS - SCALE_RUNS - SCALE_CLONE_SCHEMA_RUNS:
            onboard(spec("f", filler))
            filler += 1
        schemas_at_scale = schema_count()
        at_scale = [onboard(spec("s", number)) for number in range(SCALE_RUNS)]
        clone_schema_at_scale = [
            onboard_with_clone_schema(spec("x", number), monkeypatch)
            for number in range(SCALE_CLONE_SCHEMA_RUNS)
        ]

    # Every schema made in this run has exactly the template's structure and migrations, except
    # those made by clone_schema(), whose differences are reported.
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench%'")
        created = [row[0] for row in cursor.fetchall()]
    clone_schema_differs: set[str] = set()
    for schema in created:
        fingerprint = schema_fingerprint(schema)
        if schema.startswith(("benchc", "benchx")):
            clone_schema_differs |= {k for k in expected if fingerprint[k] != expected[k]}
        else:
            assert fingerprint == expected, schema

    counts = {kind: len(rows) for kind, rows in expected.items()}
    bench("onboarding_p50", p50(ours), "s")
    bench("onboarding_p90", p90(ours), "s")
    bench("onboarding_max", max(ours), "s")
    bench("onboarding_clone_schema_p50", p50(clone_schema), "s")
    bench("onboarding_clone_schema_p90", p90(clone_schema), "s")
    bench("onboarding_default_p50", p50(default), "s")
    bench("onboarding_default_p90", p90(default), "s")
    bench("onboarding_series_schemas_first", schemas_at_start, "schemas")
    bench("onboarding_series_schemas_last", schemas_after_series, "schemas")
    bench("onboarding_template_tables", counts["tables"], "tables")
    bench("onboarding_template_indexes", counts["indexes"], "indexes")
    bench("onboarding_template_constraints", counts["constraints"], "constraints")
    bench("onboarding_template_sequences", counts["sequences"], "sequences")
    bench("onboarding_template_functions", counts["functions"], "functions")
    bench("onboarding_template_triggers", counts["triggers"], "triggers")
    bench("onboarding_template_migrations", counts["migrations"], "migrations")
    bench("onboarding_profiled_mean", statistics.mean(profiled), "s")
    for phase, seconds in sorted(phases.items(), key=lambda item: -item[1]):
        bench(f"onboarding_phase_{phase}", seconds, "s")
    if SCALE_SCHEMAS:
        bench("onboarding_at_scale_schemas", schemas_at_scale, "schemas")
        bench("onboarding_at_scale_p50", p50(at_scale), "s")
        bench("onboarding_at_scale_p90", p90(at_scale), "s")
        bench("onboarding_clone_schema_at_scale_p50", p50(clone_schema_at_scale), "s")
    bench("onboarding_schemas_checked", len(created), "schemas")
    if clone_schema_differs:
        print(
            f"NOTE clone_schema() copies differ from the template in {sorted(clone_schema_differs)}"
        )

    assert p50(ours) <= GOAL_P50_SECONDS
    if SCALE_SCHEMAS:
        assert p50(at_scale) <= GOAL_P50_SECONDS

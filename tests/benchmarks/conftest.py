"""Shared by the import and fairness benchmarks: cached synthetic bundles, committed bench
municipalities (onboarded through the real path, dropped afterwards) and a run of an import in a
process of its own (``import_child.py``), which reports its wall time, CPU time and peak RSS."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from core.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLES = REPO_ROOT / ".state" / "bench" / "bundles"
# Changes to these files change the generated data, so they are part of a cached bundle's name.
GENERATOR_FILES = sorted(
    [
        *(REPO_ROOT / "integrations" / "synthetic").glob("*.py"),
        REPO_ROOT / "integrations" / "records.py",
    ]
)
CHILD = Path(__file__).with_name("import_child.py")
BENCH_PREFIX = "benchimp"  # schema names of every municipality these benchmarks create


def bench(figure: str, value: float | int, unit: str) -> None:
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"BENCH {figure} {shown} {unit}", flush=True)


def note(text: str) -> None:
    print(f"NOTE {text}", flush=True)


# --- Bundles ------------------------------------------------------------------------------------


def _generator_digest() -> str:
    digest = hashlib.sha256()
    for path in GENERATOR_FILES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _cached(name: str, write: Any) -> Path:
    """``BUNDLES/name``, written by ``write(folder)`` unless a complete copy is there."""
    folder = BUNDLES / name
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    write(folder)
    (folder / ".complete").write_text("")
    note(f"wrote bundle {folder.name} in {time.perf_counter() - started:.1f} s")
    return folder


def synthetic_bundles(pupils: int, seed: int, delta: float | None = None) -> tuple[Path, Path]:
    """The SS 12000 file bundle of ``generate_municipality(pupils, seed)`` and, if ``delta``,
    of ``apply_delta(that, fraction=delta, seed=seed)``; (base, delta-or-base). Cached in
    .state/bench/bundles, keyed by size, seed, fraction and the generator's source."""
    from integrations.synthetic.delta import apply_delta
    from integrations.synthetic.generator import generate_municipality
    from integrations.synthetic.ss12000_json import write_file_bundle

    key = f"ss12000-p{pupils}-s{seed}-g{_generator_digest()}"
    municipality = None

    def base_writer(folder: Path) -> None:
        nonlocal municipality
        municipality = municipality or generate_municipality(pupils=pupils, seed=seed)
        write_file_bundle(municipality, folder)

    base = _cached(key, base_writer)
    if delta is None:
        return base, base

    def delta_writer(folder: Path) -> None:
        changed = apply_delta(
            municipality or generate_municipality(pupils=pupils, seed=seed),
            fraction=delta,
            seed=seed,
        )
        write_file_bundle(changed.municipality, folder)

    return base, _cached(f"{key}-d{delta}", delta_writer)


# --- Bench municipalities -----------------------------------------------------------------------


def bench_municipality(number: int, label: str) -> str:
    """Onboards ``benchimp<number>`` (committed, active); returns its schema name."""
    from tenants.models import Municipality, MunicipalityStatus
    from tenants.services.onboarding import municipality_onboard

    slug = f"{BENCH_PREFIX}{number:02d}"
    municipality_onboard(
        name=f"Benchmark {label} {number}",
        code=f"2{number:03d}",
        slug=slug,
        domain=f"{slug}.larspar.test",
        admin_email=f"admin@{slug}.example",
    )
    Municipality.objects.filter(schema_name=slug).update(status=MunicipalityStatus.ACTIVE)
    return slug


def drop_bench_municipalities() -> None:
    from tenants.models import Domain, Municipality

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"{BENCH_PREFIX}%"]
        )
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    Domain.objects.filter(tenant__schema_name__startswith=BENCH_PREFIX).delete()
    Municipality.objects.filter(schema_name__startswith=BENCH_PREFIX).delete()


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Real transactions (no test transaction around them); drops the bench municipalities
    before and after."""
    with django_db_blocker.unblock():
        drop_bench_municipalities()
        try:
            yield
        finally:
            connection.set_schema_to_public()
            drop_bench_municipalities()


# --- Runs ---------------------------------------------------------------------------------------

# Rows written to the register and to accounts: inserted + updated + deleted tuples, as counted
# by PostgreSQL's cumulative statistics (see row_writes()).
WRITE_COUNTERS = """
SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables
 WHERE schemaname = %s AND (relname LIKE 'register\\_%%' OR relname = 'accounts_user')
"""


def row_writes(schema: str) -> int:
    """Cumulative row writes of ``schema``'s register_* and accounts_user tables.

    The import process calls ``pg_stat_force_next_flush()`` as its last statement: its backend
    then flushes its pending counters before it answers, so they are in the shared statistics
    once the process has ended. ``pg_stat_clear_snapshot()`` drops this session's cached
    snapshot, so the read below sees them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(WRITE_COUNTERS, [schema])
        return int(cursor.fetchone()[0])


def register_rows(schema: str) -> dict[str, int]:
    """Rows per register_* table and accounts_user of ``schema`` (exact counts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s"
            " AND (relname LIKE 'register\\_%%' OR relname = 'accounts_user') ORDER BY relname",
            [schema],
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table)))
            counts[table] = int(cursor.fetchone()[0])
    return counts


def database_url() -> str:
    from tests.worker import test_database_url

    return test_database_url()


def child_env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "platform")]),
    }


@dataclass
class ChildRun:
    seconds: float  # wall time of import_run_execute() in the child
    cpu_seconds: float  # the child's user + system CPU time (whole process)
    db_cpu_seconds: float | None  # its PostgreSQL backend's, during import_run_execute()
    peak_rss_mb: float  # the child's VmHWM (whole process: Python, Django, the import)
    status: str
    failure: str
    counts: dict[str, Any]
    timings: dict[str, float]
    commit_seconds: float  # the longest COMMIT during import_run_execute(): the apply's


def import_in_child(schema: str, folder: Path) -> ChildRun:
    """One ss12000-files import of ``folder`` into ``schema``, in a fresh Python process.

    Peak RSS is the child's own VmHWM. Not ``ru_maxrss`` (from ``wait4`` or
    ``RUSAGE_CHILDREN``): Linux carries the spawning process's high-water mark over the exec
    (a ``python -c pass`` started from a 300 MB process reports 311 MB), so it would show this
    benchmark's memory (the bundle generator's), not the import's."""
    process = subprocess.Popen(
        [sys.executable, str(CHILD), schema, str(folder)],
        cwd=REPO_ROOT, env=child_env(), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    output = process.stdout.read() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, f"import child failed ({process.returncode}): {output[-2000:]}"
    result = json.loads(output.strip().splitlines()[-1])
    return ChildRun(
        seconds=result["seconds"],
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        db_cpu_seconds=result["db_cpu_seconds"],
        peak_rss_mb=result["peak_rss_kib"] / 1024,
        status=result["status"],
        failure=result["failure"],
        counts=result["counts"],
        timings=result["timings"],
        commit_seconds=result["commit_seconds"],
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"

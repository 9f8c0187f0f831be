"""One register import in a process of its own, for the import benchmark's peak-RSS figure.

    python tests/benchmarks/import_child.py <schema> <bundle folder>

Runs ``import_run_execute`` synchronously (as the Celery task does) for an ss12000-files run of
the folder in the municipality's schema, then asks PostgreSQL to flush this session's table
statistics, and prints one JSON line: the wall time of ``import_run_execute``, the run's
status, counts and phase timings, the process's peak RSS and the CPU time its PostgreSQL
backend spent meanwhile. Environment: DATABASE_URL (the
benchmark's test database), DJANGO_SETTINGS_MODULE, PYTHONPATH (see conftest.child_env).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM: the high-water mark of its own memory since
    exec; ru_maxrss would include the RSS of the process that spawned it, see conftest)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of the PostgreSQL backend process serving this session, when it
    runs on this machine (it does for the benchmark's embedded or local PostgreSQL)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(schema: str, folder: str) -> None:
    import django

    django.setup()
    from django.db import connections
    from django_tenants.utils import schema_context

    from core.db import connection
    from integrations.services.runs import import_run_create, import_run_execute

    with schema_context(schema):
        run = import_run_create(
            source="ss12000-files", source_path=folder, trigger="command", enqueue=False
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = int(cursor.fetchone()[0])
        backend_before = backend_cpu_seconds(backend)
        commits: list[float] = []
        wrapper: Any = connections["default"]
        plain_commit = wrapper._commit

        def timed_commit() -> None:  # the apply transaction's COMMIT runs the deferred FK checks
            commit_started = time.perf_counter()
            try:
                plain_commit()
            finally:
                commits.append(time.perf_counter() - commit_started)

        wrapper._commit = timed_commit
        started = time.perf_counter()
        import_run_execute(run_id=run.pk)
        seconds = time.perf_counter() - started
        wrapper._commit = plain_commit
        backend_after = backend_cpu_seconds(backend)
        run.refresh_from_db()
    with connection.cursor() as cursor:
        # The backend flushes its pending statistics before it answers this statement.
        cursor.execute("SELECT pg_stat_force_next_flush()")
    connection.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "status": run.status,
                "failure": run.failure,
                "counts": run.counts,
                "timings": run.timings,
                "commit_seconds": max(commits, default=0.0),
                "peak_rss_kib": peak_rss_kib(),
                "db_cpu_seconds": (
                    backend_after - backend_before
                    if backend_before is not None and backend_after is not None
                    else None
                ),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

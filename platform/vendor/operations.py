"""Queue and worker status for the vendor console: metadata only, never a person.

- Queue depths: Celery's Redis transport keeps each queue as a Redis list named after the queue
  (and, for messages sent with a priority, one list per priority step: ``<queue>\\x06\\x16<n>``).
- Workers: a broadcast ping and stats (``inspect``), which wait at most ``WORKER_TIMEOUT``
  seconds; none answering is a normal state (the console says so).
- Import runs per municipality: counts by status and the latest run's status and timestamps,
  read in each serving municipality's own schema (ImportRun's metadata columns only).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import schema_context

from integrations.models import ImportPhase, ImportRun, ImportStatus
from tenants.models import Municipality

logger = logging.getLogger(__name__)

# Kombu's Redis transport: priority lists are "<queue><PRIORITY_SEP><step>" (step 0 is the
# queue's own name).
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
WORKER_TIMEOUT = 1.0
RUN_WINDOW = dt.timedelta(hours=24)
# The only columns of ImportRun the vendor side reads.
RUN_METADATA = (
    "status",
    "phase",
    "percent",
    "source",
    "trigger",
    "dry_run",
    "created_at",
    "started_at",
    "finished_at",
)


def _broker_url() -> str:
    from config.celery import app

    return str(app.conf.broker_url or settings.CELERY_BROKER_URL)


def _queue_keys(queue: str) -> list[str]:
    return [queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]


@dataclass(frozen=True)
class QueueDepth:
    name: str
    depth: int


def queue_depths() -> list[QueueDepth] | None:
    """Messages waiting per queue (config.celery.QUEUES); None when Redis cannot be asked."""
    import redis

    from config.celery import QUEUES

    url = _broker_url()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            pipe = client.pipeline(transaction=False)
            for queue in QUEUES:
                for key in _queue_keys(queue):
                    pipe.llen(key)
            lengths = pipe.execute()
        finally:
            client.close()
    except (redis.RedisError, OSError):
        logger.warning("queue depths: the broker did not answer", exc_info=True)
        return None
    steps = len(PRIORITY_STEPS)
    return [
        QueueDepth(name=queue, depth=sum(int(n) for n in lengths[i * steps : (i + 1) * steps]))
        for i, queue in enumerate(QUEUES)
    ]


@dataclass(frozen=True)
class WorkerState:
    name: str
    queues: list[str]
    concurrency: int | None
    active: int
    processed: int
    uptime_seconds: int | None


@dataclass(frozen=True)
class WorkersReport:
    reachable: bool  # False: the broker could not be asked at all
    workers: list[WorkerState] = field(default_factory=list)


def worker_status(*, timeout: float = WORKER_TIMEOUT) -> WorkersReport:
    """The workers that answer a ping within ``timeout``, with their stats (no task arguments
    are shown: only counts)."""
    from config.celery import app

    try:
        pings: dict[str, Any] = app.control.inspect(timeout=timeout).ping() or {}
        if not pings:
            return WorkersReport(reachable=True)
        inspect = app.control.inspect(timeout=timeout, limit=len(pings))
        stats: dict[str, Any] = inspect.stats() or {}
        active: dict[str, Any] = inspect.active() or {}
        queues: dict[str, Any] = inspect.active_queues() or {}
    except Exception:  # kombu/redis connection errors of every kind: report, never fail
        logger.warning("worker status: the broker did not answer", exc_info=True)
        return WorkersReport(reachable=False)
    workers = []
    for name in sorted(pings):
        info = stats.get(name) or {}
        pool = info.get("pool") or {}
        totals = info.get("total") or {}
        workers.append(
            WorkerState(
                name=name,
                queues=sorted(str(q.get("name", "")) for q in queues.get(name) or []),
                concurrency=pool.get("max-concurrency"),
                active=len(active.get(name) or []),
                processed=sum(int(n) for n in totals.values()),
                uptime_seconds=info.get("uptime"),
            )
        )
    return WorkersReport(reachable=True, workers=workers)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@dataclass(frozen=True)
class MunicipalityRuns:
    name: str
    slug: str
    by_status: dict[str, int]
    latest: dict[str, Any] | None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def import_runs_per_municipality(*, now: dt.datetime | None = None) -> list[MunicipalityRuns]:
    """For each serving municipality: its runs of the last 24 hours by status, and its latest
    run. Each read runs in that municipality's schema and takes metadata columns only."""
    since = (now or timezone.now()) - RUN_WINDOW
    result = []
    municipalities = Municipality.objects.serving().order_by("name")
    for name, slug in municipalities.values_list("name", "schema_name"):
        with schema_context(slug):
            counted = (
                ImportRun.objects.filter(created_at__gte=since)
                .values_list("status")
                .annotate(runs=Count("id"))
                .order_by()
            )
            by_status = {str(status): int(runs) for status, runs in counted}
            latest = ImportRun.objects.order_by("-created_at", "-id").values(*RUN_METADATA).first()
        if latest is not None:
            latest["status_label"] = _label(ImportStatus, latest["status"])
            latest["phase_label"] = _label(ImportPhase, latest["phase"])
        result.append(
            MunicipalityRuns(
                name=name,
                slug=slug,
                by_status={status: by_status.get(status, 0) for status in ImportStatus.values},
                latest=latest,
            )
        )
    return result

"""The Celery app shared by every municipality.

Built on tenant-schemas-celery: a task carries the schema it was queued from in its headers and
runs there. Our base task (worker.base.TenantTask) adds the checks that a tenant is real and active
before any of its data is touched. See docs/architecture.md, "Task flow".
"""

from __future__ import annotations

import os

from celery.schedules import crontab
from django.conf import settings
from kombu import Exchange, Queue
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = CeleryApp("larspar", task_cls="worker.base:TenantTask")

# Queues by job class, so a long report or import never delays interactive work.
QUEUES = ("interactive", "imports", "reports", "default")

app.conf.update(
    task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
    task_default_queue="default",
    task_default_exchange="default",
    task_default_routing_key="default",
    # Routing lives here, not on the tasks (Celery 6 drops the task `queue` attribute).
    task_routes={
        "worker.tasks.tenant_probe": {"queue": "interactive"},
        "integrations.tasks.*": {"queue": "imports"},
        "reports.tasks.*": {"queue": "reports"},
    },
    # A task is acknowledged only after it ran: a worker killed mid-task gives it back to Redis.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # Every task has limits; tasks are short and idempotent (ids in, fetch, call a service).
    task_soft_time_limit=240,
    task_time_limit=300,
    # Redis redelivers an unacknowledged message after the visibility timeout. It must stay far
    # above the hard time limit, or a long task would run twice at the same time.
    broker_transport_options={"visibility_timeout": 3600},
    result_expires=3600,
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    # Workers look the tenant up on every task, so a suspension takes effect at once.
    task_tenant_cache_seconds=0,
)
app.conf.beat_schedule = {
    "probe-all-tenants": {"task": "worker.tasks.probe_all_tenants", "schedule": 300.0},
    "clear-expired-sessions": {
        "task": "worker.tasks.clear_expired_sessions_everywhere",
        "schedule": crontab(hour=3, minute=15),
    },
    # Register imports (docs/imports.md): the scheduler decides per municipality whether a run
    # is due; the reaper ends or restarts runs whose worker died. Both are short and go to the
    # default queue, never behind long imports.
    "dispatch-scheduled-imports": {
        "task": "integrations.tasks.dispatch_scheduled_imports",
        "schedule": 60.0,
        "options": {"queue": "default", "expires": 55},
    },
    "dispatch-import-reaper": {
        "task": "integrations.tasks.dispatch_import_reaper",
        "schedule": 120.0,
        "options": {"queue": "default", "expires": 110},
    },
    # Uploaded exports hold personal data: deleted once no run needs them (services/upload_purge).
    "dispatch-import-uploads-purge": {
        "task": "integrations.tasks.dispatch_import_uploads_purge",
        "schedule": crontab(hour=3, minute=40),
        "options": {"queue": "default"},
    },
}
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(lambda: settings.INSTALLED_APPS)

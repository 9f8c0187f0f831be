"""Imports a municipality's register from its SS 12000 API, an SS 12000 file bundle or a CSV
export.

    python manage.py import_register --tenant lillaedet --source ss12000-files /srv/export.zip
    python manage.py import_register --tenant lillaedet --source csv /srv/export/ --dry-run
    python manage.py import_register --tenant lillaedet --source ss12000-api --incremental
    python manage.py import_register --tenant lillaedet --source csv export.zip --queue

By default the run executes here and now (``--wait``) and a summary is printed: counts per
entity, errors and warnings, time per phase, status. The exit code is non-zero when the run
failed or was cancelled. ``--queue`` hands the run to the workers' `imports` queue instead (the
path must then be readable by the workers). Either way the run is an ImportRun (trigger
"command") that the API shows. No names are printed: dry-run samples are for the municipality's
administrators, in the portal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from integrations.models import ImportRun, ImportSource, ImportStatus, ImportTrigger
from integrations.selectors import register_api_configured
from integrations.services.runs import (
    ImportBusy,
    ImportWaitingForSlot,
    import_run_cancel,
    import_run_create,
    import_run_execute,
)
from integrations.services.uploads import ImportInputInvalid, import_source_check
from tenants.models import Municipality

COUNT_COLUMNS = ("read", "new", "changed", "unchanged", "gone", "quarantined", "errors")


class Command(BaseCommand):
    help = "Imports a municipality's register (SS 12000 API, SS 12000 files or a CSV export)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The municipality's slug (schema).")
        parser.add_argument("--source", required=True, choices=ImportSource.values)
        parser.add_argument(
            "path", nargs="?", default="", help="Folder or .zip (not for ss12000-api)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show the diff; apply nothing.")
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="ss12000-api only: read the changes since the last run.",
        )
        how = parser.add_mutually_exclusive_group()
        how.add_argument(
            "--wait",
            dest="wait",
            action="store_true",
            default=True,
            help="Run here and print a summary (the default).",
        )
        how.add_argument(
            "--queue", dest="wait", action="store_false", help="Queue the run for the workers."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["tenant"]
        municipality = Municipality.objects.real().filter(schema_name=slug).first()
        if municipality is None:
            raise CommandError(f"No municipality with the slug {slug!r}.")
        if not municipality.is_serving:
            raise CommandError(f"{slug} is {municipality.status}: nothing imported.")
        with schema_context(slug):
            run = self._create(options)
            if not options["wait"]:
                self.stdout.write(f"Run {run.pk} queued on the imports queue ({slug}).")
                return
            try:
                run = import_run_execute(run_id=run.pk)
            except ImportWaitingForSlot:
                import_run_cancel(run=run)
                raise CommandError(
                    f"Every slot for large imports is taken (other municipalities' large imports "
                    f"are running); run {run.pk} was cancelled. Try again later, or use --queue "
                    "to wait for a slot."
                ) from None
            except ImportBusy:
                import_run_cancel(run=run)
                raise CommandError(
                    f"Another import of {slug} is running; run {run.pk} was cancelled. "
                    "Try again later, or use --queue to wait for it."
                ) from None
            run.refresh_from_db()
            self._summary(slug, run)
        if run.status != ImportStatus.SUCCEEDED:
            raise CommandError(f"Run {run.pk} {run.status}: {run.failure or 'see above'}")

    def _create(self, options: dict[str, Any]) -> ImportRun:
        source: str = options["source"]
        raw_path: str = options["path"]
        if source == ImportSource.SS12000_API:
            if raw_path:
                raise CommandError("ss12000-api reads the register's API: give no path.")
            if not register_api_configured():
                raise CommandError("This municipality has no SS 12000 API connection set up.")
            path = ""
        else:
            if options["incremental"]:
                raise CommandError("--incremental is for ss12000-api only.")
            if not raw_path:
                raise CommandError(f"{source} needs a path: a folder or a .zip archive.")
            resolved = Path(raw_path).expanduser().resolve()
            try:
                import_source_check(source=source, path=resolved)
            except ImportInputInvalid as refused:
                raise CommandError(refused.message) from None
            path = str(resolved)
        return import_run_create(
            source=source,
            source_path=path,
            trigger=ImportTrigger.COMMAND,
            dry_run=options["dry_run"],
            incremental=options["incremental"],
            enqueue=not options["wait"],
        )

    def _summary(self, slug: str, run: ImportRun) -> None:
        kind = "dry run" if run.dry_run else "run"
        self.stdout.write(f"{slug}: {kind} {run.pk} ({run.source}) {run.status}")
        entities = {k: v for k, v in run.counts.items() if k not in ("references", "accounts")}
        if entities:
            self.stdout.write(f"  {'entity':<14}" + "".join(f"{c:>12}" for c in COUNT_COLUMNS))
            for entity, counts in entities.items():
                cells = "".join(f"{counts.get(c, 0):>12}" for c in COUNT_COLUMNS)
                self.stdout.write(f"  {entity:<14}{cells}")
        for name in ("references", "accounts"):
            if run.counts.get(name):
                pairs = ", ".join(f"{k} {v}" for k, v in sorted(run.counts[name].items()))
                self.stdout.write(f"  {name}: {pairs}")
        self.stdout.write(f"  errors: {run.error_count}, warnings: {run.warning_count}")
        if run.timings:
            phases = ", ".join(f"{k} {v:.2f} s" for k, v in run.timings.items())
            self.stdout.write(f"  time: {phases}")
        if run.error_count or run.warning_count:
            self.stdout.write(f"  issues: GET /api/v1/imports/{run.pk}/issues.csv")
        if run.dry_run and run.status == ImportStatus.SUCCEEDED:
            self.stdout.write(f"  apply as shown: POST /api/v1/imports/{run.pk}/apply")
        if run.failure:
            self.stdout.write(f"  failure: {run.failure}")

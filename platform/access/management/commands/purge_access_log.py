"""Removes read-log entries older than each municipality's retention (at least 24 months).

    python manage.py purge_access_log --schema ale
    python manage.py purge_access_log --all

Run it daily (cron or a scheduled task). The chain stays verifiable: see docs/read-log.md.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from access.readlog.services import access_log_purge_expired
from tenants.models import Municipality


class Command(BaseCommand):
    help = "Removes access log entries older than the municipality's retention."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--schema", help="The municipality's slug (schema name).")
        which.add_argument("--all", action="store_true", help="Every real municipality.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            # Suspended municipalities too: their retention runs on.
            slugs = list(Municipality.objects.real().values_list("schema_name", flat=True))
        else:
            slugs = [options["schema"]]
            if not Municipality.objects.real().filter(schema_name=slugs[0]).exists():
                raise CommandError(f"No municipality with the slug {slugs[0]!r}.")
        failed = []
        for slug in slugs:
            try:
                with schema_context(slug):
                    purged = access_log_purge_expired()
            except ValidationError as refused:
                failed.append(slug)
                self.stderr.write(f"{slug}: REFUSED: {' '.join(refused.messages)}")
            else:
                self.stdout.write(f"{slug}: purged {purged} entries")
        if failed:
            raise CommandError(f"Nothing purged in: {', '.join(failed)}")

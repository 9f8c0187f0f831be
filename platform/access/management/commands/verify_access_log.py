"""Verifies the read log's hash chain of one municipality, or of every serving one.

    python manage.py verify_access_log --schema ale
    python manage.py verify_access_log --all

Prints "OK: N entries, head <id> <hash>" (record the head elsewhere: it proves later that no
entries were cut off the end) or "BROKEN at entry <id>: <reason>" naming the first broken entry,
and exits non-zero when any chain is broken.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from access.readlog.selectors import access_log_verify
from tenants.models import Municipality


class Command(BaseCommand):
    help = "Verifies the access log's hash chain; names the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--schema", help="The municipality's slug (schema name).")
        which.add_argument("--all", action="store_true", help="Every serving municipality.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            slugs = list(Municipality.objects.serving().values_list("schema_name", flat=True))
            prefix = True
        else:
            slug = options["schema"]
            if not Municipality.objects.real().filter(schema_name=slug).exists():
                raise CommandError(f"No municipality with the slug {slug!r}.")
            slugs, prefix = [slug], False
        broken = []
        for slug in slugs:
            with schema_context(slug):
                report = access_log_verify()
            line = f"{slug}: {report}" if prefix else str(report)
            if report.ok:
                self.stdout.write(line)
            else:
                broken.append(slug)
                self.stdout.write(self.style.ERROR(line))
        if broken:
            raise CommandError(f"The access log chain is broken in: {', '.join(broken)}")

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tenants.services.onboarding import template_schema_ensure


class Command(BaseCommand):
    help = (
        "Migrate everything in order: the public schema, the template schema new municipalities "
        "are cloned from, and every municipality."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--executor", default="standard", choices=["standard", "multiprocessing"]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        outcome = template_schema_ensure()
        self.stdout.write(f"Template schema: {outcome}")
        call_command(
            "migrate_schemas",
            tenant=True,
            interactive=False,
            verbosity=verbosity,
            executor=options["executor"],
        )

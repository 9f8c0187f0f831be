"""Imports Skolverket's syllabi into the platform-wide curriculum tables (public schema).

    python manage.py import_curriculum --files PATH
    python manage.py import_curriculum --api https://api.skolverket.se/syllabus --school-type GR
    python manage.py import_curriculum --demo

Idempotent: running it again writes only what changed; new versions are added next to the old.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, schema_context

from curriculum.services import CurriculumImportResult, curriculum_import, curriculum_load_demo
from curriculum.sources.records import CurriculumSourceError
from curriculum.sources.skolverket_api import SkolverketApiConfig, SkolverketApiSource
from curriculum.sources.skolverket_files import SkolverketFileSource


class Command(BaseCommand):
    help = "Imports Skolverket syllabi (subjects, courses, central content, grading criteria)."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--files", metavar="PATH", help="A folder of subject JSON files.")
        source.add_argument(
            "--api", metavar="URL", help="The Syllabus API, e.g. https://api.skolverket.se/syllabus"
        )
        source.add_argument("--demo", action="store_true", help="The bundled demo syllabi.")
        parser.add_argument(
            "--school-type",
            action="append",
            default=[],
            help="With --api: only this school type (GR, GY, ...); repeatable.",
        )
        parser.add_argument(
            "--code", action="append", default=[], help="With --api: only this subject code."
        )
        parser.add_argument(
            "--all-versions", action="store_true", help="With --api: every version, not the latest."
        )
        parser.add_argument(
            "--include-future",
            action="store_true",
            help="With --api: also versions that start after the date.",
        )
        parser.add_argument("--date", help="With --api: the search date, YYYY-MM-DD.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with schema_context(get_public_schema_name()):
                result = self._run(options)
        except CurriculumSourceError as exc:
            raise CommandError(str(exc)) from exc
        for issue in result.issues:
            self.stderr.write(f"issue: {issue}")
        self.stdout.write(result.summary())

    def _run(self, options: dict[str, Any]) -> CurriculumImportResult:
        if options["demo"]:
            return curriculum_load_demo()
        if options["files"]:
            return curriculum_import(source=SkolverketFileSource(options["files"]))
        try:
            date = dt.date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError("--date: expected YYYY-MM-DD") from None
        config = SkolverketApiConfig(
            base_url=options["api"],
            school_types=tuple(t.upper() for t in options["school_type"]),
            codes=tuple(options["code"]),
            timespans=("LATEST", "FUTURE") if options["include_future"] else ("LATEST",),
            date=date,
            all_versions=options["all_versions"],
        )
        with SkolverketApiSource(config) as source:
            return curriculum_import(source=source)

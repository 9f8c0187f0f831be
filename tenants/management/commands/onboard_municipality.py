from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenants.services.onboarding import MunicipalityAlreadyExists, municipality_onboard


class Command(BaseCommand):
    help = "Onboard a municipality: its schema, host name and first administrator's invitation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help='e.g. "Lilla Edets kommun"')
        parser.add_argument("--code", required=True, help="SCB municipality code, 4 digits")
        parser.add_argument("--slug", required=True, help="schema and host name, e.g. lillaedet")
        parser.add_argument("--domain", required=True, help="e.g. lillaedet.larspar.se")
        parser.add_argument("--admin-email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = municipality_onboard(
                name=options["name"],
                code=options["code"],
                slug=options["slug"],
                domain=options["domain"],
                admin_email=options["admin_email"],
            )
        except MunicipalityAlreadyExists as exists:
            self.stdout.write(self.style.WARNING(str(exists)))
            return
        except ValidationError as invalid:
            lines = [
                f"  {field}: {msg}" for field, msgs in invalid.message_dict.items() for msg in msgs
            ]
            raise CommandError(_("Nothing was created:") + "\n" + "\n".join(lines)) from invalid
        municipality = result.municipality
        self.stdout.write(
            self.style.SUCCESS(
                f"Onboarded {municipality.name} ({municipality.schema_name}) at "
                f"{result.domain.domain} [{result.schema_path}]"
            )
        )
        self.stdout.write(f"Invitation for the first administrator: {result.invitation_url}")

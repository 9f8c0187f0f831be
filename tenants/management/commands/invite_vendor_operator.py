from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import InvitationRole
from accounts.services.invitations import invitation_create, invitation_link
from core.db import connection
from tenants.services.onboarding import tenant_base_url


class Command(BaseCommand):
    help = "Print a one-time link that lets a vendor operator set a password (platform host)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        connection.set_schema_to_public()
        base_url = tenant_base_url(settings.PLATFORM_DOMAIN)
        issued = invitation_create(
            email=options["email"], role=InvitationRole.VENDOR_OPERATOR, base_url=base_url
        )
        self.stdout.write(invitation_link(base_url=base_url, token=issued.token))

"""Onboarding a municipality: one transaction, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from accounts.models import InvitationRole
from accounts.services.invitations import invitation_create, invitation_link
from core.db import connection
from tenants.models import Domain, Municipality, MunicipalityStatus
from tenants.services.schemas import schema_create, schema_migrate
from tenants.services.validation import normalise, validate_onboarding_input


class MunicipalityAlreadyExists(Exception):
    """Onboarding was asked again with exactly the values of an existing municipality."""

    def __init__(self, municipality: Municipality) -> None:
        super().__init__(
            _("The municipality %(name)s (%(slug)s) already exists.")
            % {"name": municipality.name, "slug": municipality.schema_name}
        )
        self.municipality = municipality


@dataclass(frozen=True)
class OnboardingResult:
    municipality: Municipality
    domain: Domain
    invitation_url: str
    schema_path: str  # "clone" or "migrate"


def tenant_base_url(domain: str) -> str:
    port = f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""
    return f"{settings.PLATFORM_SCHEME}://{domain}{port}"


@transaction.atomic
def municipality_onboard(
    *, name: str, code: str, slug: str, domain: str, admin_email: str
) -> OnboardingResult:
    """Creates the tenant row, its host name, its schema and the first administrator's invitation.

    Raises ValidationError (by field) for bad or conflicting input and MunicipalityAlreadyExists
    when the very same municipality was onboarded before. Nothing is created in either case.
    """
    data = normalise(name=name, code=code, slug=slug, domain=domain, admin_email=admin_email)
    validate_onboarding_input(data)
    # One onboarding at a time: two concurrent requests for the same slug must not both pass the
    # checks below. The lock is released at commit.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('larspar.onboarding'))")
    _refuse_duplicates(data.name, data.code, data.slug, data.domain)

    municipality = Municipality.objects.create(
        schema_name=data.slug, name=data.name, code=data.code, status=MunicipalityStatus.ONBOARDING
    )
    host = Domain.objects.create(domain=data.domain, tenant=municipality, is_primary=True)
    schema_path = schema_create(schema_name=data.slug)

    base_url = tenant_base_url(data.domain)
    with schema_context(data.slug):
        issued = invitation_create(
            email=data.admin_email, role=InvitationRole.MUNICIPALITY_ADMIN, base_url=base_url
        )
    return OnboardingResult(
        municipality=municipality,
        domain=host,
        invitation_url=invitation_link(base_url=base_url, token=issued.token),
        schema_path=schema_path,
    )


def _refuse_duplicates(name: str, code: str, slug: str, domain: str) -> None:
    existing = Municipality.objects.filter(schema_name=slug).first()
    if (
        existing is not None
        and (existing.code, existing.name) == (code, name)
        and Domain.objects.filter(tenant=existing, domain=domain).exists()
    ):
        raise MunicipalityAlreadyExists(existing)
    errors: dict[str, list[str]] = {}
    if existing is not None or schema_exists(slug):
        errors["slug"] = [_("The slug '%(slug)s' is already taken.") % {"slug": slug}]
    if Municipality.objects.filter(code=code).exists():
        errors["code"] = [_("A municipality with code %(code)s already exists.") % {"code": code}]
    if Domain.objects.filter(domain=domain).exists():
        errors["domain"] = [_("The host %(domain)s is already taken.") % {"domain": domain}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def template_schema_ensure() -> str:
    """Creates (or re-migrates) the template schema new municipalities are cloned from.

    Returns what it did: "exists", "created". `migrate_schemas` keeps it current afterwards,
    because the template is a tenant row too.
    """
    template = settings.TENANT_BASE_SCHEMA
    row = Municipality.objects.filter(schema_name=template).first()
    if row is None:
        row = Municipality.objects.create(
            schema_name=template, name="Template", code=None, status=MunicipalityStatus.TEMPLATE
        )
    if schema_exists(template):
        return "exists"
    schema_migrate(schema_name=template)
    return "created"

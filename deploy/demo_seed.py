"""Demo data for `make demo`, created through the real services only (never raw inserts).

``seed_demo()`` onboards the demo municipalities and gives each demo account the one well-known
demo password. It is idempotent: a second run finds everything in place and changes nothing.
Needs a configured Django (``django.setup()``) and migrated schemas (``migrate_platform``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from accounts.models import InvitationRole
from accounts.services.invitations import invitation_accept, invitation_create
from tenants.services.onboarding import MunicipalityAlreadyExists, municipality_onboard

# Passes Django's validators (length >= 10, not common, not numeric); shown on screen by design.
DEMO_PASSWORD = "Lärspår-demo-2026"  # noqa: S105 - a published demo password, not a secret
DEMO_OPERATOR_EMAIL = "operator@larspar.example"


@dataclass(frozen=True)
class MunicipalitySpec:
    """What the vendor would type into the onboarding form."""

    name: str
    code: str
    slug: str
    domain: str
    admin_email: str


@dataclass(frozen=True)
class DemoLogin:
    """One account a person can sign in with; ``host`` is where its sign-in page lives."""

    role: str
    host: str
    username: str
    # None when the account existed with another password: the demo never resets passwords.
    password: str | None
    # False when the account existed before this run.
    created: bool


# *.localhost resolves to the loopback address in browsers and curl, so no /etc/hosts edits.
DEMO_MUNICIPALITIES: tuple[MunicipalitySpec, ...] = (
    MunicipalitySpec(
        "Lilla Edets kommun", "1462", "lillaedet", "lillaedet.localhost", "admin@lillaedet.example"
    ),
    MunicipalitySpec("Ale kommun", "1440", "ale", "ale.localhost", "admin@ale.example"),
)

# Extension point: a seeder runs inside a municipality's schema once its administrator exists,
# and returns the logins it made sure of. Later issues append theirs to MUNICIPALITY_SEEDERS
# (teachers, pupils and guardians will arrive through the register-import pipeline).
MunicipalitySeeder = Callable[[MunicipalitySpec, str], list[DemoLogin]]
MUNICIPALITY_SEEDERS: list[MunicipalitySeeder] = []


def _register_seeders() -> list[MunicipalitySeeder]:
    # Imported lazily: deploy.demo_register imports this module for its types.
    from deploy.demo_register import register_import_seeder

    return [register_import_seeder]


def seed_demo(
    municipalities: Sequence[MunicipalitySpec] = DEMO_MUNICIPALITIES,
    *,
    password: str = DEMO_PASSWORD,
    operator_email: str = DEMO_OPERATOR_EMAIL,
    say: Callable[[str], None] = lambda _message: None,
) -> list[DemoLogin]:
    """Onboards ``municipalities`` and seeds their demo logins; returns every demo login.

    ``say`` receives one line per municipality: onboarded now, or found in place.
    """
    logins = [vendor_operator_ensure(email=operator_email, password=password)]
    # Skolverket's syllabi (an abridged demo set) are platform-wide reference data.
    from curriculum.services import curriculum_load_demo

    say(f"Curriculum demo syllabi: {curriculum_load_demo().summary()}")
    for spec in municipalities:
        onboarding_token = municipality_ensure(spec)
        state = "onboarded" if onboarding_token is not None else "exists already"
        say(f"{spec.name} ({spec.slug}, {spec.domain}): {state}")
        with schema_context(spec.slug):
            logins.append(first_administrator_ensure(spec, onboarding_token, password))
            made: list[DemoLogin] = []
            for seeder in [*_register_seeders(), *MUNICIPALITY_SEEDERS]:
                made.extend(seeder(spec, password))
            logins.extend(made)
            # Plans, assessments, lärlogg, a talk and an IUP, written as the demo teacher.
            from deploy.demo_documentation import documentation_seeder

            documentation_seeder(made, spec)
    return logins


def municipality_ensure(spec: MunicipalitySpec) -> str | None:
    """Onboards ``spec`` unless it exists; returns the first administrator's invitation token
    when it was onboarded now (None when it existed)."""
    try:
        result = municipality_onboard(
            name=spec.name,
            code=spec.code,
            slug=spec.slug,
            domain=spec.domain,
            admin_email=spec.admin_email,
        )
    except MunicipalityAlreadyExists:
        return None
    # The link is ".../invitation/<token>/": the token is its last path segment.
    return result.invitation_url.rstrip("/").rsplit("/", 1)[-1]


def vendor_operator_ensure(*, email: str, password: str) -> DemoLogin:
    """A vendor operator in the public schema, signing in on the platform host."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        return _invited_account(
            email=email,
            password=password,
            role=InvitationRole.VENDOR_OPERATOR,
            label="Vendor operator",
            host=settings.PLATFORM_DOMAIN,
        )


def _invited_account(*, email: str, password: str, role: str, label: str, host: str) -> DemoLogin:
    """Invites and accepts ``email`` in the current schema unless the account exists already."""
    username = email.strip().lower()  # invitations name accounts by their e-mail address
    existing = get_user_model().objects.filter(username=username).first()
    if existing is not None:
        # Someone may have changed it in the running demo: then say so instead of lying.
        known = password if existing.check_password(password) else None
        return DemoLogin(label, host, username, known, created=False)
    # No e-mail: the demo accepts the invitation itself, a printed link would already be spent.
    issued = invitation_create(email=email, role=role, send_email=False)
    return _accept(issued.token, password, label, host)


def _accept(token: str, password: str, label: str, host: str) -> DemoLogin:
    user = invitation_accept(token=token, password=password)
    return DemoLogin(label, host, user.get_username(), password, created=True)


def first_administrator_ensure(
    spec: MunicipalitySpec, onboarding_token: str | None, password: str
) -> DemoLogin:
    """Accepts the onboarding invitation (which also marks the municipality active); for a
    municipality onboarded on an earlier run, invites the administrator afresh if still missing.
    Call inside the municipality's schema."""
    label = "Municipality administrator"
    if onboarding_token is not None:
        return _accept(onboarding_token, password, label, spec.domain)
    return _invited_account(
        email=spec.admin_email,
        password=password,
        role=InvitationRole.MUNICIPALITY_ADMIN,
        label=label,
        host=spec.domain,
    )

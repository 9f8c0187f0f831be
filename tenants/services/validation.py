"""Validation of what a new municipality is called and where it answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

CODE_PATTERN = re.compile(r"^\d{4}$")
# Lower-case ASCII, starts with a letter, 3-40 characters: a safe schema name and DNS label.
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]{2,39}$")
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
RESERVED_SLUGS = frozenset(
    {
        "public", "template", "tpl", "www", "api", "admin", "static", "media", "vendor",
        "platform", "larspar", "mail", "smtp", "status", "help", "support", "information",
        "postgres", "root", "test", "default",
    }
)  # fmt: skip
RESERVED_PREFIXES = ("pg", "tpl", "information_schema")


@dataclass(frozen=True)
class OnboardingInput:
    name: str
    code: str
    slug: str
    domain: str
    admin_email: str


def normalise(*, name: str, code: str, slug: str, domain: str, admin_email: str) -> OnboardingInput:
    return OnboardingInput(
        name=" ".join(name.split()),
        code=code.strip(),
        slug=slug.strip(),
        domain=domain.strip().lower().rstrip("."),
        admin_email=admin_email.strip().lower(),
    )


def validate_onboarding_input(data: OnboardingInput) -> None:
    """Raises one ValidationError listing every problem by field."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not data.name:
        fail("name", _("Enter the municipality's name."))
    elif len(data.name) > 200:
        fail("name", _("The name can be at most 200 characters."))
    if not CODE_PATTERN.match(data.code):
        fail("code", _("The municipality code must be exactly four digits (SCB's kommunkod)."))
    if not SLUG_PATTERN.match(data.slug):
        fail(
            "slug",
            _("The slug must be 3-40 lower-case letters a-z or digits, starting with a letter."),
        )
    elif data.slug in RESERVED_SLUGS or data.slug.startswith(RESERVED_PREFIXES):
        fail("slug", _("The slug '%(slug)s' is reserved.") % {"slug": data.slug})
    if not _is_host_name(data.domain):
        fail("domain", _("Enter a valid host name, such as lillaedet.larspar.se."))
    elif data.domain == settings.PLATFORM_DOMAIN:
        fail("domain", _("The platform's own host cannot belong to a municipality."))
    try:
        validate_email(data.admin_email)
    except ValidationError:
        fail("admin_email", _("Enter a valid e-mail address for the first administrator."))
    if errors:
        raise ValidationError(errors)


def _is_host_name(value: str) -> bool:
    labels = value.split(".")
    return 0 < len(value) <= 253 and len(labels) >= 2 and all(HOST_LABEL.match(x) for x in labels)

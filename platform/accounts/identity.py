"""How people sign in, chosen per municipality and audience.

A municipality names one sign-in method for each audience (staff, guardians, pupils) in its
SignInPolicy. Each method is a SignInMethod class registered here under that name. Today there is
one, PasswordSignIn: a password set through an invitation link, plus a TOTP code that staff need
before they read pupil documentation (accounts.policy).

Adding Skolfederation (SAML) or OIDC for staff, or BankID for guardians, means:

1. a SignInMethod subclass with its own views (start_url sends the browser to the IdP, the
   callback maps the assertion to a User of this schema and calls
   accounts.services.sign_in.session_begin with the method's name);
2. a member of accounts.models.SignInMethodName and a migration;
3. provides_second_factor = True when the IdP proves a second factor (BankID always, SAML
   when the assertion carries a multi-factor authentication context), so accounts.policy
   accepts the session without a TOTP code.

Nothing else changes: the step-up check, lockout and API tokens are independent of the method.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import SignInMethodName, SignInPolicy
from accounts.selectors import in_public_schema, sign_in_policy_get


class Audience(models.TextChoices):
    STAFF = "staff", _("Staff")
    GUARDIAN = "guardian", _("Guardians")
    PUPIL = "pupil", _("Pupils")


class SignInMethod:
    name: ClassVar[str]
    label: ClassVar[str]
    # The person types a password into our own sign-in form.
    uses_password_form: ClassVar[bool] = False
    # The identity provider itself proved a second factor: no TOTP step-up needed.
    provides_second_factor: ClassVar[bool] = False

    def start_url(self, *, next_url: str = "") -> str:
        """Where the browser goes to begin signing in with this method."""
        raise NotImplementedError


_REGISTRY: dict[str, type[SignInMethod]] = {}


def register(method: type[SignInMethod]) -> type[SignInMethod]:
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


@register
class PasswordSignIn(SignInMethod):
    name = SignInMethodName.PASSWORD.value
    label = str(SignInMethodName.PASSWORD.label)
    uses_password_form = True

    def start_url(self, *, next_url: str = "") -> str:
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        return f"{reverse('login')}{query}"


def registered(name: str) -> type[SignInMethod] | None:
    return _REGISTRY.get(name)


def method_named(name: str) -> SignInMethod:
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ImproperlyConfigured(f"No sign-in method is registered as {name!r}.") from None


def method_for_audience(audience: Audience, *, policy: SignInPolicy | None = None) -> SignInMethod:
    """The method this municipality chose for the audience."""
    policy = policy or sign_in_policy_get()
    return method_named(getattr(policy, f"{audience.value}_method"))


def audiences_of(user: AbstractBaseUser | AnonymousUser) -> set[Audience]:
    """The audiences whose sign-in method applies to this account.

    Staff are known from the register import's flags. Accounts without them are pupils or
    guardians, which the account alone does not tell apart yet; both audiences' methods are
    considered until the register links accounts to pupils and guardians.
    """
    if getattr(user, "is_school_staff", False) or getattr(user, "is_municipality_admin", False):
        return {Audience.STAFF}
    return {Audience.GUARDIAN, Audience.PUPIL}


def password_sign_in_allowed(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this account may sign in with a password here (rather than through its IdP).

    Vendor operators on the platform host always use a password (and no municipal policy).
    """
    if in_public_schema():
        return True
    policy = sign_in_policy_get()
    return any(method_for_audience(a, policy=policy).uses_password_form for a in audiences_of(user))


def external_methods() -> list[SignInMethod]:
    """Methods other than the password form that some audience here uses (sign-in page buttons)."""
    if in_public_schema():
        return []
    policy = sign_in_policy_get()
    seen: dict[str, SignInMethod] = {}
    for audience in Audience:
        method = method_for_audience(audience, policy=policy)
        if not method.uses_password_form:
            seen.setdefault(method.name, method)
    return list(seen.values())

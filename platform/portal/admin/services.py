"""Writes of the administration pages that no other app offers: accounts (active, administrator),
the municipality's settings, its sign-in policy and its text-guard words.

Each is one transaction and leaves an entry in the read log's audit trail (pupils={}): who
changed what, never the values themselves when they could name anyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from access.readlog.services import access_log_record
from accounts.identity import registered
from accounts.models import SignInPolicy, User
from core import request_cache
from core.db import connection
from documentation.textguard.lexicon_sv import SHIPPED_BY_LEMMA
from documentation.textguard.matcher import fold
from documentation.textguard.models import LexiconEntry
from documentation.textguard.services import lexicon_entry_create, lexicon_entry_update
from municipal.models import MunicipalSettings
from portal.admin.guard import ADMIN_ROLE
from register.models.choices import AssignmentRoleType, RelationType, SchoolType

# What the settings page may change (the access log's retention has its own rules and page).
EDITABLE_SETTINGS = (
    "controller_name",
    "controller_contact",
    "data_protection_officer",
    "accessibility_contact",
    "session_idle_minutes",
    "pupil_login_from_school_year",
    "guardian_relation_types",
    "assignment_roles_with_access",
    "missing_security_marking_protected",
    "school_forms",
)
IDLE_MINUTES_RANGE = (5, 720)
SCHOOL_YEAR_RANGE = (0, 9)
AUDIENCE_FIELDS = ("staff_method", "guardian_method", "pupil_method")


class AdminChangeRefused(Exception):
    """A change the rules do not allow; the message is for the administrator."""


def _audit(actor: User, resource: str, object_ref: str, request: HttpRequest | None) -> None:
    access_log_record(
        actor=actor,
        actor_role=ADMIN_ROLE,
        pupils={},
        resource=resource,
        object_ref=object_ref,
        request=request,
    )


# --- Accounts ------------------------------------------------------------------------------------


@transaction.atomic
def account_set_active(
    *, actor: User, user: User, active: bool, request: HttpRequest | None = None
) -> User:
    """Deactivates (or reactivates) an account by an administrator's decision. A deactivation
    by hand is never undone by the register import (``deactivated_by_register_at`` stays
    empty); the person's sessions end at their next request (inactive accounts do not
    authenticate)."""
    if user.pk == actor.pk and not active:
        raise AdminChangeRefused(_("You cannot deactivate your own account."))
    account = User.objects.select_for_update().get(pk=user.pk)
    if account.is_active == active and account.deactivated_by_register_at is None:
        return account
    account.is_active = active
    account.deactivated_by_register_at = None
    account.save(update_fields=["is_active", "deactivated_by_register_at"])
    _audit(actor, "accounts.set_active", f"user:{account.pk} active={int(active)}", request)
    return account


@transaction.atomic
def municipality_admin_set(
    *, actor: User, user: User, admin: bool, request: HttpRequest | None = None
) -> User:
    """Grants or revokes the municipality administrator role. Nobody revokes their own (the
    municipality always keeps the administrator who acts), and inactive accounts get no role."""
    if user.pk == actor.pk and not admin:
        raise AdminChangeRefused(_("You cannot revoke your own administrator role."))
    account = User.objects.select_for_update().get(pk=user.pk)
    if admin and not account.is_active:
        raise AdminChangeRefused(_("Activate the account before making it an administrator."))
    if account.is_municipality_admin == admin:
        return account
    account.is_municipality_admin = admin
    account.save(update_fields=["is_municipality_admin"])
    _audit(actor, "accounts.set_admin", f"user:{account.pk} admin={int(admin)}", request)
    return account


# --- The municipality's settings ----------------------------------------------------------------


def _choices_check(field: str, values: Sequence[str], allowed: Sequence[str]) -> list[str]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({field: _("Unknown values: %(values)s.") % {"values": unknown}})
    return [value for value in allowed if value in set(values)]  # canonical order, no repeats


def _range_check(field: str, value: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if not low <= int(value) <= high:
        raise ValidationError(
            {field: _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}}
        )
    return int(value)


@transaction.atomic
def municipal_settings_update(
    *, actor: User, changes: Mapping[str, Any], request: HttpRequest | None = None
) -> MunicipalSettings:
    """Changes the municipality's settings (only EDITABLE_SETTINGS); raises ValidationError with
    the field's message and changes nothing when a value is refused. The new values apply from
    the next request (the per-request memo is dropped now)."""
    unknown = set(changes) - set(EDITABLE_SETTINGS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    values = dict(changes)
    if "guardian_relation_types" in values:
        values["guardian_relation_types"] = _choices_check(
            "guardian_relation_types", values["guardian_relation_types"], RelationType.values
        )
    if "assignment_roles_with_access" in values:
        values["assignment_roles_with_access"] = _choices_check(
            "assignment_roles_with_access",
            values["assignment_roles_with_access"],
            AssignmentRoleType.values,
        )
    if "school_forms" in values:
        values["school_forms"] = _choices_check(
            "school_forms", values["school_forms"], SchoolType.values
        )
        if not values["school_forms"]:
            raise ValidationError({"school_forms": _("Choose at least one school form.")})
    if "session_idle_minutes" in values:
        values["session_idle_minutes"] = _range_check(
            "session_idle_minutes", values["session_idle_minutes"], IDLE_MINUTES_RANGE
        )
    if "pupil_login_from_school_year" in values:
        values["pupil_login_from_school_year"] = _range_check(
            "pupil_login_from_school_year",
            values["pupil_login_from_school_year"],
            SCHOOL_YEAR_RANGE,
        )
    MunicipalSettings.objects.get_or_create(id=1)
    row = MunicipalSettings.objects.select_for_update().get(id=1)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.full_clean()
        row.save(update_fields=changed)
        _audit(actor, "settings.change", f"municipal_settings:{','.join(changed)}", request)
    request_cache.forget(f"municipal_settings:{connection.schema_name}")
    return row


@transaction.atomic
def sign_in_policy_update(
    *, actor: User, methods: Mapping[str, str], request: HttpRequest | None = None
) -> SignInPolicy:
    """Sets the sign-in method of each audience; only methods accounts.identity implements."""
    unknown = set(methods) - set(AUDIENCE_FIELDS)
    if unknown:
        raise ValueError(f"no such audience: {sorted(unknown)}")
    for field, name in methods.items():
        if registered(name) is None:
            raise ValidationError({field: _("This sign-in method is not available.")})
    SignInPolicy.objects.get_or_create(id=1)
    policy = SignInPolicy.objects.select_for_update().get(id=1)
    changed = [field for field, name in methods.items() if getattr(policy, field) != name]
    for field in changed:
        setattr(policy, field, methods[field])
    if changed:
        policy.save(update_fields=changed)
        _audit(actor, "settings.change", f"sign_in_policy:{','.join(changed)}", request)
    return policy


# --- The text guard's words ----------------------------------------------------------------------


@transaction.atomic
def lexicon_word_add(
    *,
    actor: User,
    lemma: str,
    category: str = "",
    forms: Sequence[str] = (),
    suggestion: str = "",
    request: HttpRequest | None = None,
) -> LexiconEntry:
    """Adds a word to the municipality's lexicon (textguard.services checks it). Empty
    category, forms or suggestion take the shipped word's, when the word is a shipped one."""
    entry = lexicon_entry_create(
        lemma=lemma,
        added_by=actor,
        category=category or None,
        forms=list(forms) or None,
        suggestion=suggestion or None,
    )
    _audit(actor, "settings.change", f"lexicon:add:{entry.pk}", request)
    return entry


@transaction.atomic
def lexicon_word_set_enabled(
    *, actor: User, lemma: str, enabled: bool, request: HttpRequest | None = None
) -> LexiconEntry | None:
    """Switches a word on or off: the municipality's own row, or for a shipped word a row of
    the municipality's that replaces it. Raises LexiconEntry.DoesNotExist for unknown words."""
    entry = LexiconEntry.objects.filter(lemma__iexact=lemma.strip()).first()
    if entry is not None:
        if entry.enabled != enabled:
            entry = lexicon_entry_update(entry=entry, updated_by=actor, enabled=enabled)
            _audit(actor, "settings.change", f"lexicon:enabled={int(enabled)}:{entry.pk}", request)
        return entry
    shipped = SHIPPED_BY_LEMMA.get(fold(lemma.strip()))
    if shipped is None:
        raise LexiconEntry.DoesNotExist(lemma)
    if enabled:
        return None  # a shipped word without a row of the municipality's is on already
    entry = lexicon_entry_create(lemma=shipped.lemma, added_by=actor, enabled=False)
    _audit(actor, "settings.change", f"lexicon:enabled=0:{entry.pk}", request)
    return entry

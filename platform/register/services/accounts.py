"""Accounts follow the register: created, updated and deactivated here, never typed in by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from municipal.models import MunicipalSettings
from municipal.selectors import municipal_settings_get
from register.models import Duty, Enrolment, Person, Responsible
from register.models.base import today
from register.models.choices import EmailType

# School types whose pupils always sign in themselves, whatever their school year.
SELF_SERVICE_SCHOOL_TYPES = frozenset({"GY", "GYS", "VUX"})


@dataclass(frozen=True)
class Eligibility:
    staff: bool
    pupil: bool
    guardian: bool

    @property
    def any(self) -> bool:
        return self.staff or self.pupil or self.guardian


def person_eligibility(
    *, person: Person, settings: MunicipalSettings, on: dt.date | None = None
) -> Eligibility:
    on = on or today()
    if person.removed_at is not None or person.status != "Aktiv":
        return Eligibility(staff=False, pupil=False, guardian=False)
    staff = Duty.objects.current(on).filter(person=person).exists()
    pupil = False
    for enrolment in Enrolment.objects.current(on).filter(person=person, cancelled=False):
        year = enrolment.school_year if enrolment.school_year is not None else 0
        if (
            enrolment.school_type in SELF_SERVICE_SCHOOL_TYPES
            or year >= settings.pupil_login_from_school_year
        ):
            pupil = True
    current_pupils = Enrolment.objects.current(on).filter(cancelled=False).values("person_id")
    guardian = Responsible.objects.filter(
        guardian=person,
        relation_type__in=settings.guardian_relation_types,
        pupil__in=current_pupils,
    ).exists()
    return Eligibility(staff=staff, pupil=pupil, guardian=guardian)


def preferred_username(person: Person, eligibility: Eligibility) -> str:
    """The e-mail the person knows best for their role; the register id when there is none."""
    emails = {email.type: email.value.lower() for email in person.emails.all()}
    order = (
        [EmailType.SCHOOL_STAFF, EmailType.WORK_OTHER]
        if eligibility.staff
        else [EmailType.SCHOOL_PUPIL]
        if eligibility.pupil
        else [EmailType.PRIVATE]
    )
    for email_type in [*order, *emails]:
        if email_type in emails:
            return emails[email_type]
    return str(person.source_id)


@transaction.atomic
def person_account_sync(
    *, person: Person, settings: MunicipalSettings | None = None, on: dt.date | None = None
) -> User | None:
    """Creates, updates or deactivates the account of ``person`` to match the register.

    An account deactivated by an administrator stays deactivated; one deactivated because the
    person left the register is reactivated only when the register says they are back (this
    function is called by the import when the person's register data changed).
    """
    settings = settings or municipal_settings_get()
    eligibility = person_eligibility(person=person, settings=settings, on=on)
    user = person.user
    if user is None:
        if not eligibility.any:
            return None
        username = preferred_username(person, eligibility)
        user = User(username=_free_username(username), is_active=True)
        user.set_unusable_password()  # set later through an invitation link
    user.first_name = person.given_name
    user.last_name = person.family_name
    user.email = preferred_username(person, eligibility) if "@" in user.username else user.email
    user.is_school_staff = eligibility.staff
    if not eligibility.any and user.is_active:
        user.is_active = False
        user.deactivated_by_register_at = timezone.now()
    elif eligibility.any and not user.is_active and user.deactivated_by_register_at:
        user.is_active = True
        user.deactivated_by_register_at = None
    user.save()
    if person.user_id != user.pk:
        person.user = user
        person.save(update_fields=["user"])
    return user


def _free_username(wanted: str) -> str:
    candidate, suffix = wanted, 1
    while User.objects.filter(username=candidate).exists():
        suffix += 1
        candidate = f"{wanted}#{suffix}"
    return candidate

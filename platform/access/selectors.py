"""Reads of pupil data for the API and the portal, always through the access policy."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from access.policy import Actor, visible_pupils
from register.models import Enrolment, GroupMembership, Person, Responsible
from register.models.base import current_q
from register.models.choices import SecurityMarking


def pupil_list(actor: Actor, *, search: str = "") -> QuerySet[Person]:
    """Visible pupils with their current enrolments, ordered by name, optionally searched.

    Two statements whatever the page size: the pupils, and their enrolments.
    """
    pupils = visible_pupils(actor)
    for word in search.split():
        pupils = pupils.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    enrolments = Enrolment.objects.filter(current_q(actor.on), cancelled=False).select_related(
        "school_unit"
    )
    return pupils.prefetch_related(
        Prefetch("enrolments", queryset=enrolments, to_attr="current_enrolments")
    ).order_by("family_name", "given_name", "pk")


def pupil_detail(actor: Actor, pupil_id: int) -> Person:
    """One visible pupil with enrolments, groups and the responsible adults staff may contact.

    Responsible adults with protected identity never appear: this is a contact list.
    Raises Person.DoesNotExist for a pupil who is missing or not visible (the same 404).
    """
    memberships = GroupMembership.objects.filter(current_q(actor.on)).select_related("group")
    responsibles = Responsible.objects.filter(
        guardian__security_marking=SecurityMarking.NONE, guardian__removed_at__isnull=True
    ).select_related("guardian")
    return (
        pupil_list(actor)
        .prefetch_related(
            Prefetch("group_memberships", queryset=memberships, to_attr="current_memberships"),
            Prefetch("responsibles", queryset=responsibles, to_attr="contactable_responsibles"),
        )
        .get(pk=pupil_id)
    )

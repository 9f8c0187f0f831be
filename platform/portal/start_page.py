"""The start page's content by role: for staff my groups, my recent work and what needs doing;
for pupils and guardians the child switcher and what has been published for them.

Everything about pupils comes from the talks selectors (narrowed by access.documents); the
caller writes one read-log entry naming every pupil the page shows (``shown``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from django.urls import reverse
from django.utils import timezone

from access.policy import Actor, family_children, my_person_ids, visible_groups
from documentation.talks.selectors import iup_list, talk_list
from portal.roles import PortalRoles
from portal.talk_agreements import agreements_due
from register.models import Person

RECENT = 10
DUE = 20
PUBLISHED_PER_PUPIL = 5


@dataclass
class StartPage:
    context: dict[str, Any] = field(default_factory=dict)
    shown: dict[int, str] = field(default_factory=dict)  # pupil id → relation ("" = look up)


def _item(kind: str, document: Any) -> dict[str, Any]:
    name = "portal:talk" if kind == "talk" else "portal:iup"
    return {
        "kind": kind,
        "document": document,
        "pupil": document.pupil,
        "url": reverse(name, args=[document.pk]),
        "published": document.published_at is not None,
        "updated_at": document.updated_at,
    }


def staff_part(actor: Actor, page: StartPage, *, documentation: bool) -> None:
    """My groups always; my recent work and what needs doing once the second factor is
    verified (they name pupils and their documentation)."""
    page.context["groups"] = list(
        visible_groups(actor).select_related("organisation").order_by("display_name")[:50]
    )
    page.context["needs_second_factor"] = not documentation
    if not documentation:
        return
    talks = talk_list(actor).filter(author=actor.user).select_related("pupil")
    iups = iup_list(actor).filter(author=actor.user).select_related("pupil")
    recent = sorted(
        chain(
            (_item("talk", t) for t in talks.order_by("-updated_at")[:RECENT]),
            (_item("iup", i) for i in iups.order_by("-updated_at")[:RECENT]),
        ),
        key=lambda item: item["updated_at"],
        reverse=True,
    )[:RECENT]
    due = list(agreements_due(actor)[:DUE])
    iup_drafts = list(iups.filter(published_at__isnull=True).order_by("pupil__family_name")[:DUE])
    page.context.update(
        {"recent": recent, "due": due, "iup_drafts": iup_drafts, "today": timezone.localdate()}
    )
    for pupil_id in chain(
        (item["pupil"].pk for item in recent),
        (a.talk.pupil_id for a in due),
        (i.pupil_id for i in iup_drafts),
    ):
        page.shown.setdefault(pupil_id, "")


def family_part(actor: Actor, page: StartPage, roles: PortalRoles) -> None:
    """The pupil's own and each child's published talks and IUPs, newest first."""
    people: list[tuple[Person, str]] = []
    if roles.pupil:
        own = Person.objects.filter(pk__in=my_person_ids(actor)).first()
        if own is not None:
            people.append((own, "self"))
    children = list(family_children(actor)) if roles.guardian else []
    people += [(child, "guardian") for child in children]
    if not people:
        return
    ids = [person.pk for person, _relation in people]
    published_q = {"pupil_id__in": ids, "published_at__isnull": False}
    talks = talk_list(actor).filter(**published_q).select_related("pupil")
    iups = iup_list(actor).filter(**published_q).select_related("pupil")
    published: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for item in chain((_item("talk", t) for t in talks), (_item("iup", i) for i in iups)):
        published[item["document"].pupil_id].append(item)
    family = []
    for person, relation in people:
        if relation == "self":
            page_url = reverse("portal:me")
        else:
            page_url = reverse("portal:child", args=[person.pk])
        items = sorted(
            published[person.pk], key=lambda item: item["document"].published_at, reverse=True
        )[:PUBLISHED_PER_PUPIL]
        for item in items:  # the family reads them on the pupil page, at the item
            item["url"] = f"{page_url}#{item['kind']}-{item['document'].pk}"
        family.append({"person": person, "relation": relation, "url": page_url, "published": items})
    page.context["family"] = family
    page.context["children"] = children
    for person, relation in people:
        page.shown[person.pk] = relation


def start_page(actor: Actor, roles: PortalRoles, *, second_factor: bool) -> StartPage:
    page = StartPage(context={"roles": roles})
    if roles.staff or roles.admin:
        staff_part(actor, page, documentation=second_factor and roles.staff)
    if roles.pupil or roles.guardian:
        family_part(actor, page, roles)
    return page

"""The group page and the pupil page: the same page for staff, the pupil and their guardians,
each seeing what access.policy / access.documents allow."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from access.documents import staff_pupils
from access.policy import (
    access_group_by_id,
    access_pupil_by_id,
    actor_for,
    group_members,
    my_person_ids,
)
from access.readlog.services import access_log_record
from accounts.policy import require_second_factor
from documentation.talks import selectors as talk_selectors
from portal.grid_support import group_matrices
from portal.learning_log import recent_entries
from portal.plans import pupil_plans
from portal.pupil_sections import pupil_page_sections
from register.models import Person


@require_second_factor
def group_page(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_for(request.user)  # type: ignore[arg-type]
    try:
        group = access_group_by_id(actor, group_id)
    except Exception as missing:
        raise Http404 from missing
    members = list(group_members(actor, group))
    access_log_record(
        actor=actor.user,
        actor_role=",".join(sorted({m.relation for m in members})) or "none",  # type: ignore[attr-defined]
        pupils={m.pk: m.relation for m in members},  # type: ignore[attr-defined]
        resource="portal.group.members",
        object_ref=f"group:{group.pk}",
        request=request,
    )
    return render(
        request,
        "portal/group.html",
        {"group": group, "members": members, "grid_matrices": group_matrices(actor, group)},
    )


@require_second_factor
def pupil_page(request: HttpRequest, pupil_id: int) -> HttpResponse:
    actor = actor_for(request.user)  # type: ignore[arg-type]
    try:
        pupil = access_pupil_by_id(actor, pupil_id)
    except Person.DoesNotExist as missing:
        raise Http404 from missing
    is_staff = staff_pupils(actor).filter(pk=pupil.pk).exists()
    talks = list(talk_selectors.talk_list(actor, pupil_id=pupil.pk))
    iups = list(talk_selectors.iup_list(actor, pupil_id=pupil.pk))
    access_log_record(
        actor=actor.user,
        actor_role=pupil.relation,  # type: ignore[attr-defined]
        pupils={pupil.pk: pupil.relation},  # type: ignore[attr-defined]
        resource="portal.pupil",
        object_ref=f"pupil:{pupil.pk}",
        request=request,
    )
    sections = pupil_page_sections(actor, pupil, is_staff=is_staff, talks=talks, iups=iups)
    return render(
        request,
        "portal/pupil.html",
        {
            "pupil": pupil,
            "is_staff": is_staff,
            "talks": talks,
            "iups": iups,
            "learning_log": recent_entries(actor, pupil.pk),
            "plans": pupil_plans(actor, pupil),
            **sections,
        },
    )


@login_required
def me(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)  # type: ignore[arg-type]
    own = Person.objects.filter(pk__in=my_person_ids(actor)).values_list("pk", flat=True).first()
    if own is None:
        raise Http404
    return redirect("portal:pupil", pupil_id=own)


@login_required
def child(request: HttpRequest, pupil_id: int) -> HttpResponse:
    return pupil_page(request, pupil_id)

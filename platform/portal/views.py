"""Portal pages that every role shares: the start page and the legal notices."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import actor_for, family_children, visible_groups
from access.readlog.services import access_log_record
from municipal.selectors import municipal_settings_get
from portal.roles import roles_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)  # type: ignore[arg-type]
    roles = roles_of(actor)
    context: dict[str, object] = {"roles": roles}
    if roles.staff or roles.admin:
        context["groups"] = list(
            visible_groups(actor).select_related("organisation").order_by("display_name")[:50]
        )
    if roles.guardian:
        children = list(family_children(actor))
        context["children"] = children
        access_log_record(
            actor=actor.user,
            actor_role="guardian",
            pupils={child.pk: "guardian" for child in children},
            resource="portal.children",
            request=request,
        )
    return render(request, "portal/home.html", context)


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """Tillgänglighetsredogörelse (DOS-lagen): public, no sign-in needed."""
    settings = municipal_settings_get()
    return render(request, "portal/accessibility.html", {"settings": settings})


def data_notice(request: HttpRequest) -> HttpResponse:
    """What the service processes and who the controller is, from the municipality's settings."""
    settings = municipal_settings_get()
    return render(request, "portal/data_notice.html", {"settings": settings})

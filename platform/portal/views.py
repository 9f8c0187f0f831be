"""Portal pages that every role shares: the start page and the legal notices."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import actor_for
from accounts.policy import second_factor_satisfied
from municipal.selectors import municipal_settings_get
from portal.roles import roles_of
from portal.start_page import start_page
from portal.talk_common import log_read


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)  # type: ignore[arg-type]
    roles = roles_of(actor)
    page = start_page(actor, roles, second_factor=second_factor_satisfied(request))
    if page.shown or roles.guardian:  # one entry naming every pupil the page shows
        known = {pk: relation for pk, relation in page.shown.items() if relation}
        log_read(request, actor, page.shown, "portal.start", known=known)
    return render(request, "portal/home.html", page.context)


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """Tillgänglighetsredogörelse (DOS-lagen): public, no sign-in needed."""
    settings = municipal_settings_get()
    return render(request, "portal/accessibility.html", {"settings": settings})


def data_notice(request: HttpRequest) -> HttpResponse:
    """What the service processes and who the controller is, from the municipality's settings."""
    settings = municipal_settings_get()
    return render(request, "portal/data_notice.html", {"settings": settings})

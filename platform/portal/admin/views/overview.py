"""The administration start page: links to every page and a few counts (no names)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from portal.admin.guard import admin_required
from portal.admin.pages import render_admin
from portal.admin.selectors import admin_overview


@admin_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render_admin(request, "portal/admin/overview.html", {"overview": admin_overview()})

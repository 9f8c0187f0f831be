"""Reviewing the read log: who viewed pupil X, what did user Y view. Each review is itself
logged (access_log.review, the filters in object_ref, no pupil ids), as the API does; the
pupil search names pupils and logs them (access_log.pupil_search)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from access.policy import Relation, actor_for
from access.readlog.models import AccessLogEntry
from access.readlog.selectors import access_log_list
from access.readlog.services import access_log_record
from portal.admin.forms import AccessLogFilterForm, PupilSearchForm
from portal.admin.guard import ADMIN_ROLE, admin_of, admin_required
from portal.admin.pages import render_admin
from portal.admin.selectors import account_by_username, pupil_search

PAGE_SIZE = 50
FILTER_KEYS = ("pupil", "actor", "since", "until")
# access.policy.Relation codes (and the administrator's role) as people read them.
ROLE_LABELS = {
    Relation.SELF: gettext_lazy("The pupil themself"),
    Relation.GUARDIAN: gettext_lazy("Guardian"),
    Relation.TEACHER: gettext_lazy("Teacher"),
    Relation.MENTOR: gettext_lazy("Mentor"),
    Relation.ASSIGNMENT: gettext_lazy("Assignment role"),
    Relation.PRINCIPAL: gettext_lazy("Principal"),
    Relation.SCHOOL_ADMIN: gettext_lazy("School administrator"),
    Relation.MUNICIPALITY_ADMIN: gettext_lazy("Municipality administrator"),
}


def _role(code: str) -> str:
    """A known relation's label; several (``a,b``) or unknown codes as they are."""
    label = ROLE_LABELS.get(code)
    return str(label) if label is not None else code


def _rows(entries: Iterable[AccessLogEntry]) -> list[dict[str, Any]]:
    return [
        {
            "entry": entry,
            "role": ", ".join(_role(code) for code in entry.actor_role.split(",")),
            "pupils": [(pupil_id, _role(rel)) for pupil_id, rel in entry.relations.items()],
        }
        for entry in entries
    ]


def _filters(form: AccessLogFilterForm) -> dict[str, Any]:
    """The API's filters (pupil, actor, since, until) from the form; a user name is looked up."""
    data = form.cleaned_data
    filters = {key: data[key] for key in FILTER_KEYS if data.get(key) is not None}
    username = (data.get("user") or "").strip()
    if username:
        account = account_by_username(username=username)
        if account is None:
            form.add_error("user", _("No account has this user name."))
            return {}
        filters["actor"] = account.pk
    return filters


def _query(filters: dict[str, Any]) -> str:
    return urlencode(sorted((key, str(value)) for key, value in filters.items()))


@admin_required
@require_GET
def access_log_page(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = _filters(form)
    valid = not form.is_bound or not form.errors
    page = None
    rows: list[dict[str, Any]] = []
    if valid:
        access_log_record(
            actor=admin_of(request),
            actor_role=ADMIN_ROLE,
            pupils={},
            resource="access_log.review",
            object_ref=_query(filters),
            request=request,
        )
        entries = access_log_list(
            pupil_id=filters.get("pupil"),
            actor_id=filters.get("actor"),
            since=filters.get("since"),
            until=filters.get("until"),
        )
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = _rows(page.object_list)
    query = _query(filters)
    context = {
        "form": form,
        "search_form": PupilSearchForm(),
        "page": page,
        "rows": rows,
        "filters": filters,
        "query": query,
        "export_url": f"{reverse('api-access-log-export')}?{query}".rstrip("?"),
    }
    status = 200 if valid else 400
    return render_admin(request, "portal/admin/access_log.html", context, status=status)


@admin_required
@require_GET
def pupil_search_page(request: HttpRequest) -> HttpResponse:
    """Finds a pupil by name for the review's filter. The hits are pupil data: the one entry
    names them (an empty hit list is logged too: it shows what was searched for)."""
    form = PupilSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = None
    if query:
        admin = admin_of(request)
        results = pupil_search(actor_for(admin), query=query)
        access_log_record(
            actor=admin,
            actor_role=ADMIN_ROLE,
            pupils={pupil.pk: pupil.relation for pupil in results},  # type: ignore[attr-defined]
            resource="access_log.pupil_search",
            object_ref=urlencode({"q": query})[:200],
            request=request,
        )
    context = {"search_form": form, "results": results, "query": query}
    if request.headers.get("HX-Request"):
        return render(request, "portal/admin/_pupil_results.html", context)
    return render_admin(request, "portal/admin/pupil_search.html", context)

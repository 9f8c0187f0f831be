"""Accounts and their roles: search, activate and deactivate, grant and revoke administrator."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from access.policy import Relation
from access.readlog.services import access_log_record
from accounts.models import User
from portal.admin.forms import AccountSearchForm
from portal.admin.guard import ADMIN_ROLE, admin_of, admin_required
from portal.admin.pages import render_admin
from portal.admin.selectors import account_get, account_list, pupil_ids_of_accounts
from portal.admin.services import AdminChangeRefused, account_set_active, municipality_admin_set

PAGE_SIZE = 50


@admin_required
@require_GET
def users_page(request: HttpRequest) -> HttpResponse:
    form = AccountSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(account_list(search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    accounts = list(page.object_list)
    # The list names pupils (their accounts): one entry names every pupil on the page.
    shown = pupil_ids_of_accounts(user_ids=[account.pk for account in accounts])
    access_log_record(
        actor=admin_of(request),
        actor_role=ADMIN_ROLE,
        pupils={pupil_id: Relation.MUNICIPALITY_ADMIN for pupil_id in shown},
        resource="accounts.list",
        object_ref=urlencode({"q": search, "page": page.number})[:200],
        request=request,
    )
    context = {
        "form": form,
        "page": page,
        "accounts": accounts,
        "search": search,
        "query": urlencode({"q": search}) if search else "",
    }
    return render_admin(request, "portal/admin/users.html", context)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    query = {key: request.POST[key] for key in ("q", "page") if request.POST.get(key)}
    url = reverse("portal:admin-users")
    return HttpResponseRedirect(f"{url}?{urlencode(query)}" if query else url)


def _account_or_404(user_id: int) -> User:
    try:
        return account_get(user_id=user_id)
    except User.DoesNotExist as missing:
        raise Http404 from missing


@admin_required
@require_POST
def user_set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account_or_404(user_id)
    active = request.POST.get("active") == "1"
    try:
        account_set_active(actor=admin_of(request), user=account, active=active, request=request)
    except AdminChangeRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("The account was activated.") if active else _("The account was deactivated."),
        )
    return _back(request)


@admin_required
@require_POST
def user_set_admin(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account_or_404(user_id)
    admin = request.POST.get("admin") == "1"
    try:
        municipality_admin_set(actor=admin_of(request), user=account, admin=admin, request=request)
    except AdminChangeRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("The account is now a municipality administrator.")
            if admin
            else _("The account is no longer a municipality administrator."),
        )
    return _back(request)

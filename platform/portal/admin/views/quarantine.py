"""Persons with protected identity held out of the register, and their admission."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from access.readlog.services import access_log_record
from integrations.models import QuarantinedPerson
from integrations.selectors import quarantined_person_get, quarantined_person_list
from integrations.services.quarantine import quarantined_person_admit
from portal.admin.forms import QuarantineAdmitForm
from portal.admin.guard import ADMIN_ROLE, admin_of, admin_required
from portal.admin.pages import render_admin

PAGE_SIZE = 50


@admin_required
@require_GET
def quarantine_page(request: HttpRequest) -> HttpResponse:
    # Logged before the read, as the API does: the list names protected persons.
    access_log_record(
        actor=admin_of(request),
        actor_role=ADMIN_ROLE,
        pupils={},
        resource="quarantine.list",
        object_ref=f"page={request.GET.get('page', '1')}"[:200],
        request=request,
    )
    persons = Paginator(quarantined_person_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render_admin(request, "portal/admin/quarantine.html", {"persons": persons})


@admin_required
@require_POST
def quarantine_admit(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        person = quarantined_person_get(person_id=person_id)
    except QuarantinedPerson.DoesNotExist as missing:
        raise Http404 from missing
    form = QuarantineAdmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Confirm that the person may be admitted."))
    elif person.admitted_at is not None:
        messages.info(request, _("The person was already admitted."))
    else:
        quarantined_person_admit(person=person, admitted_by=admin_of(request))
        messages.success(
            request, _("Admitted. The next import brings the person into the register.")
        )
    return redirect("portal:admin-quarantine")

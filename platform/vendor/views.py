"""The vendor console on the platform host: municipalities' metadata, no pupil data."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from integrations.models import ImportStatus
from tenants.models import Municipality
from tenants.services.lifecycle import municipality_set_suspended
from tenants.services.onboarding import MunicipalityAlreadyExists, municipality_onboard
from vendor.operations import import_runs_per_municipality, queue_depths, worker_status
from vendor.permissions import is_vendor_operator
from vendor.selectors import municipality_list


class OnboardingForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    code = forms.CharField(label=gettext_lazy("Municipality code (4 digits)"), max_length=10)
    slug = forms.CharField(label=gettext_lazy("Slug (schema and host name)"), max_length=63)
    domain = forms.CharField(label=gettext_lazy("Host name"), max_length=253)
    admin_email = forms.EmailField(label=gettext_lazy("First administrator's e-mail"))


def _operator_only(request: HttpRequest) -> HttpResponse | None:
    if not is_vendor_operator(request):
        return redirect(f"/login/?next={request.path}")
    return None


def console(request: HttpRequest) -> HttpResponse:
    if (refusal := _operator_only(request)) is not None:
        return refusal
    form = OnboardingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = municipality_onboard(**form.cleaned_data)
        except MunicipalityAlreadyExists as exists:
            form.add_error(None, str(exists))
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request,
                _("%(name)s was onboarded; the invitation was e-mailed to %(email)s.")
                % {"name": result.municipality.name, "email": form.cleaned_data["admin_email"]},
            )
            return redirect("vendor:console")
    context = {
        "municipalities": municipality_list(),
        "form": form,
        # Workers and queues: metadata only (see vendor/operations.py).
        "queues": queue_depths(),
        "workers": worker_status(),
        "runs": import_runs_per_municipality(),
        "statuses": ImportStatus.choices,
    }
    return render(request, "vendor/console.html", context)


@require_POST
def suspend(request: HttpRequest, slug: str) -> HttpResponse:
    if (refusal := _operator_only(request)) is not None:
        return refusal
    municipality = get_object_or_404(Municipality.objects.real(), schema_name=slug)
    municipality_set_suspended(
        municipality=municipality, suspended=request.POST.get("suspend") == "1"
    )
    return redirect("vendor:console")

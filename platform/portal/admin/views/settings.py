"""The municipality's settings, its sign-in policy and the text guard's word list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.identity import Audience, method_named, registered
from accounts.selectors import sign_in_policy_get
from documentation.textguard.models import Category, LexiconEntry
from documentation.textguard.selectors import lexicon_entry_list, shipped_lexicon
from municipal.selectors import municipal_settings_get
from portal.admin.forms import LexiconAddForm, MunicipalSettingsForm, SignInPolicyForm
from portal.admin.guard import admin_of, admin_required
from portal.admin.pages import render_admin
from portal.admin.services import (
    lexicon_word_add,
    lexicon_word_set_enabled,
    municipal_settings_update,
    sign_in_policy_update,
)


def _refused(form: Form, invalid: ValidationError) -> None:
    for field, errors in invalid.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _policy_initial() -> dict[str, str]:
    policy = sign_in_policy_get()
    return {f"{a.value}_method": getattr(policy, f"{a.value}_method") for a in Audience}


def _second_factor_notes() -> list[dict[str, Any]]:
    """For each audience: its method and whether staff still confirm a one-time code."""
    policy = sign_in_policy_get()
    notes = []
    for audience in Audience:
        name = getattr(policy, f"{audience.value}_method")
        method = registered(name)
        notes.append(
            {
                "audience": audience.label,
                "method": method_named(name).label if method else name,
                "idp_second_factor": bool(method and method.provides_second_factor),
                "asks_code": audience == Audience.STAFF,
            }
        )
    return notes


@admin_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    section = request.POST.get("section") if request.method == "POST" else None
    current = municipal_settings_get()
    settings_form = MunicipalSettingsForm.for_settings(
        current, request.POST if section == "municipal" else None
    )
    policy_form = SignInPolicyForm(
        request.POST if section == "sign_in" else None, initial=_policy_initial()
    )
    status = 200
    if section == "municipal" and settings_form.is_valid():
        try:
            municipal_settings_update(
                actor=admin_of(request), changes=settings_form.changes(), request=request
            )
        except ValidationError as invalid:
            _refused(settings_form, invalid)
        else:
            messages.success(request, _("The settings were saved."))
            return redirect("portal:admin-settings")
    elif section == "sign_in" and policy_form.is_valid():
        try:
            sign_in_policy_update(
                actor=admin_of(request), methods=policy_form.cleaned_data, request=request
            )
        except ValidationError as invalid:
            _refused(policy_form, invalid)
        else:
            messages.success(request, _("The sign-in methods were saved."))
            return redirect("portal:admin-settings")
    if request.method == "POST":
        status = 400
    context = {
        "settings_form": settings_form,
        "policy_form": policy_form,
        "second_factor_notes": _second_factor_notes(),
    }
    return render_admin(request, "portal/admin/settings.html", context, status=status)


def _lexicon_rows() -> tuple[list[LexiconEntry], list[dict[str, Any]]]:
    entries = list(lexicon_entry_list())
    own = {entry.pk: entry for entry in entries}
    shipped = shipped_lexicon(entries)
    labels = dict(Category.choices)
    for row in shipped:
        override = own.get(row["overridden_by"]) if row["overridden_by"] else None
        row["enabled"] = override.enabled if override is not None else True
        row["category_label"] = labels.get(row["category"], row["category"])
    shipped_lemmas = {row["lemma"].casefold() for row in shipped}
    added = [entry for entry in entries if entry.lemma.casefold() not in shipped_lemmas]
    return added, shipped


@admin_required
@require_http_methods(["GET", "POST"])
def lexicon_page(request: HttpRequest) -> HttpResponse:
    form = LexiconAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                lexicon_word_add(
                    actor=admin_of(request),
                    lemma=form.cleaned_data["lemma"],
                    category=form.cleaned_data["category"],
                    forms=form.form_list(),
                    suggestion=form.cleaned_data["suggestion"],
                    request=request,
                )
            except ValidationError as invalid:
                _refused(form, invalid)
            else:
                messages.success(request, _("The word was added."))
                return redirect("portal:admin-lexicon")
    added, shipped = _lexicon_rows()
    context = {"form": form, "added": added, "shipped": shipped}
    return render_admin(request, "portal/admin/lexicon.html", context, status=status)


@admin_required
@require_POST
def lexicon_set_enabled(request: HttpRequest) -> HttpResponse:
    lemma = str(request.POST.get("lemma", ""))[:100]
    enabled = request.POST.get("enabled") == "1"
    try:
        lexicon_word_set_enabled(
            actor=admin_of(request), lemma=lemma, enabled=enabled, request=request
        )
    except LexiconEntry.DoesNotExist as missing:
        raise Http404 from missing
    messages.success(
        request,
        _("“%(word)s” is switched on.") % {"word": lemma}
        if enabled
        else _("“%(word)s” is switched off.") % {"word": lemma},
    )
    return redirect("portal:admin-lexicon")

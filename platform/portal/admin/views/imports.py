"""Register imports: upload or API sync, the history, one run's diff and its live progress."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.readlog.services import access_log_record
from integrations.models import ImportRun, ImportSource, ImportTrigger
from integrations.selectors import (
    import_run_applying,
    import_run_get,
    import_run_list,
    register_api_configured,
)
from integrations.services.runs import (
    DryRunInputGone,
    ImportFailed,
    import_run_apply_dry_run,
    import_run_cancel,
    import_run_create,
)
from integrations.services.uploads import (
    ImportInputInvalid,
    MiB,
    import_run_create_from_upload,
    size_text,
    upload_limit,
)
from portal.admin.forms import ApiSyncForm, ImportUploadForm
from portal.admin.guard import ADMIN_ROLE, admin_of, admin_required
from portal.admin.pages import render_admin

HISTORY_PAGE_SIZE = 25
# Multipart framing around the files (boundaries, headers, the small form fields).
MULTIPART_OVERHEAD = 1 * MiB
ENTITY_LABELS = {
    "organisation": gettext_lazy("Organisations"),
    "person": gettext_lazy("Persons"),
    "group": gettext_lazy("Groups"),
    "duty": gettext_lazy("Duties"),
    "activity": gettext_lazy("Activities"),
}
COUNT_COLUMNS = ("read", "new", "changed", "unchanged", "gone", "errors", "quarantined")
SAMPLE_KINDS = {"new": gettext_lazy("New"), "changed": gettext_lazy("Changed")}


def _run_or_404(run_id: int) -> ImportRun:
    try:
        return import_run_get(run_id=run_id)
    except ImportRun.DoesNotExist as missing:
        raise Http404 from missing


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > upload_limit() + MULTIPART_OVERHEAD


@admin_required
@require_http_methods(["GET", "POST"])
def imports_page(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST" and _too_large(request):
        form = ImportUploadForm()
        form.add_error(
            None,
            _("The upload is larger than the limit of %(limit)s.")
            % {"limit": size_text(upload_limit())},
        )
        status = 413
    else:
        form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and status == 200 and form.is_valid():
        try:
            run = import_run_create_from_upload(
                source=form.cleaned_data["source"],
                files=form.cleaned_data["file"],
                trigger=ImportTrigger.ADMIN,
                dry_run=form.cleaned_data["dry_run"],
                requested_by=admin_of(request),
            )
        except ImportInputInvalid as refused:
            form.add_error("source" if refused.field == "source" else "file", refused.message)
            status = refused.status
        else:
            messages.success(request, _("The import was started."))
            return redirect("portal:admin-import", run_id=run.pk)
    elif request.method == "POST":
        status = status if status != 200 else 400
    history = Paginator(import_run_list(), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "sync_form": ApiSyncForm(),
        "api_configured": register_api_configured(),
        "history": history,
        "rows": [{"run": run, "totals": _totals(run)} for run in history.object_list],
        "upload_limit": size_text(upload_limit()),
    }
    return render_admin(request, "portal/admin/imports.html", context, status=status)


@admin_required
@require_POST
def api_sync(request: HttpRequest) -> HttpResponse:
    form = ApiSyncForm(request.POST)
    if not form.is_valid():  # two check boxes: never invalid in practice
        return redirect("portal:admin-imports")
    if not register_api_configured():
        messages.error(request, _("This municipality has no SS 12000 API connection set up."))
        return redirect("portal:admin-imports")
    run = import_run_create(
        source=ImportSource.SS12000_API,
        trigger=ImportTrigger.ADMIN,
        dry_run=form.cleaned_data["dry_run"],
        incremental=form.cleaned_data["incremental"],
        requested_by=admin_of(request),
    )
    messages.success(request, _("The import was started."))
    return redirect("portal:admin-import", run_id=run.pk)


def _totals(run: ImportRun) -> dict[str, int]:
    """New, changed and gone rows over every entity type (the history's summary)."""
    counts = run.counts or {}
    return {
        kind: sum(int((counts.get(entity) or {}).get(kind, 0)) for entity in ENTITY_LABELS)
        for kind in ("new", "changed", "gone")
    }


def _count_rows(counts: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "label": label,
            "values": [int(counts[entity].get(column, 0)) for column in COUNT_COLUMNS],
        }
        for entity, label in ENTITY_LABELS.items()
        if isinstance(counts.get(entity), dict)
    ]


def _sample_groups(samples: dict[str, Any]) -> list[dict[str, Any]]:
    groups = []
    for entity, label in ENTITY_LABELS.items():
        kinds = samples.get(entity) or {}
        for kind, kind_label in SAMPLE_KINDS.items():
            names = [str(name) for name in kinds.get(kind) or []]
            if names:
                groups.append({"entity": label, "kind": kind_label, "names": names})
    return groups


@admin_required
@require_GET
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    samples = _sample_groups(run.samples or {})
    if samples:
        # The samples name people: each look is logged, as the API does (import.samples).
        access_log_record(
            actor=admin_of(request),
            actor_role=ADMIN_ROLE,
            pupils={},
            resource="import.samples",
            object_ref=f"import:{run.pk}",
            request=request,
        )
    counts = run.counts or {}
    context = {
        "run": run,
        "count_rows": _count_rows(counts),
        "held_back": (counts.get("references") or {}).get("held_back", 0),
        "accounts": counts.get("accounts") or {},
        "samples": samples,
        "applying": import_run_applying(dry_run=run) if run.dry_run else None,
        "duration": _duration(run),
    }
    return render_admin(request, "portal/admin/import_detail.html", context)


def _duration(run: ImportRun) -> float | None:
    if run.started_at and run.finished_at:
        return round((run.finished_at - run.started_at).total_seconds(), 1)
    return None


@admin_required
@require_GET
def import_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The fragment the progress bar polls every second while the run is queued or running.
    Once the run has ended, htmx reloads the page to show the result."""
    run = _run_or_404(run_id)
    response = render(request, "portal/admin/_import_progress.html", {"run": run})
    if run.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@admin_required
@require_POST
def import_apply(request: HttpRequest, run_id: int) -> HttpResponse:
    dry_run = _run_or_404(run_id)
    applying = import_run_applying(dry_run=dry_run)
    if applying is not None:
        messages.error(
            request, _("This dry run is already applied by run %(run)d.") % {"run": applying.pk}
        )
        return redirect("portal:admin-import", run_id=applying.pk)
    try:
        run = import_run_apply_dry_run(
            dry_run=dry_run, trigger=ImportTrigger.ADMIN, requested_by=admin_of(request)
        )
    except DryRunInputGone:
        messages.error(
            request,
            _(
                "The dry run's upload has been deleted (uploads are kept for a limited time). "
                "Upload the export again and run a new dry run."
            ),
        )
        return redirect("portal:admin-import", run_id=dry_run.pk)
    except ImportFailed:
        messages.error(request, _("Only a dry run that succeeded can be applied."))
        return redirect("portal:admin-import", run_id=dry_run.pk)
    messages.success(request, _("The changes the dry run showed are being applied."))
    return redirect("portal:admin-import", run_id=run.pk)


@admin_required
@require_POST
def import_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    if run.is_finished:
        messages.error(request, _("The run has already ended."))
    else:
        import_run_cancel(run=run)
        messages.success(request, _("The run was asked to stop."))
    return redirect("portal:admin-import", run_id=run.pk)

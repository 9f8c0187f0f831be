"""Assessment matrices in the portal: the list, the editor (new matrix and draft), the read-only
view of published, archived and Skolverket-based matrices, and publish/archive/copy/delete.

Mirrors documentation/assessments/api/matrices.py in HTML: reads through the assessments
selectors, writes through the matrix services only (their validation and text guard decide).
Matrices are teaching material, not pupil data: no read-log entries (as the API).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.documents import DocumentAccessDenied
from access.policy import Actor
from documentation.assessments.errors import AssessmentError, InvalidInput
from documentation.assessments.guard import TextGuardRefused
from documentation.assessments.models import AssessmentMatrix, MatrixKind
from documentation.assessments.selectors import is_staff, matrix_detail, matrix_get, matrix_list
from documentation.assessments.services.matrices import (
    matrix_archive,
    matrix_copy,
    matrix_create,
    matrix_delete,
    matrix_publish,
    matrix_update,
)
from documentation.textguard.services import Finding
from portal.matrix_editor import (
    EditResult,
    MatrixState,
    edit_apply,
    requirements_filtered,
    requirements_of,
    state_from_post,
    state_of,
    subjects_offered,
)
from portal.talk_common import actor_of, findings_by_field, is_htmx, portal_view
from portal.talk_forms import dom_id

PAGE_SIZE = 50


def _staff(request: HttpRequest) -> Actor:
    """Matrices are edited by staff; for anyone else the pages do not exist (404)."""
    actor = actor_of(request)
    if not is_staff(actor.user):
        raise DocumentAccessDenied
    return actor


def editable(actor: Actor, matrix: AssessmentMatrix) -> bool:
    """Whether to offer the editor (the services decide again when saving)."""
    user = actor.user
    if matrix.published_at is not None or matrix.archived_at is not None:
        return False
    if matrix.kind == MatrixKind.SKOLVERKET:
        return bool(user.is_municipality_admin)
    return matrix.owner_id == user.pk


def locked_reason(actor: Actor, matrix: AssessmentMatrix) -> str:
    """Why the matrix is shown read-only (the services' own wording)."""
    if matrix.kind == MatrixKind.SKOLVERKET and not actor.user.is_municipality_admin:
        return _("Skolverket-based matrices are managed by the municipality; copy one to adapt it.")
    if matrix.archived_at is not None:
        return _("The matrix is archived.")
    if matrix.published_at is not None:
        return _("A published matrix is frozen; copy it to make a new version.")
    return _("Only the teacher who made this matrix edits it; copy it to adapt it.")


# --- The list ----------------------------------------------------------------------------------


@portal_view
def matrix_list_page(request: HttpRequest) -> HttpResponse:
    actor = _staff(request)
    archived = request.GET.get("show") == "archived"
    matrices = matrix_list(actor).filter(archived_at__isnull=not archived).select_related("owner")
    page = Paginator(matrices.order_by("title", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/matrices/list.html",
        {"page": page, "archived": archived, "user_id": actor.user.pk},
    )


# --- The editor --------------------------------------------------------------------------------


def _field(
    name: str, value: str, errors: dict[str, str], findings: dict[str, Any]
) -> dict[str, Any]:
    """One input of the editor: its name, id, value, error and text guard findings, and the
    ids that describe it (the findings slot is always there, so the reference resolves)."""
    ident = dom_id(name)
    error = errors.get(name, "")
    described = ([f"{ident}-error"] if error else []) + [f"findings-{ident}"]
    return {
        "name": name,
        "id": ident,
        "value": value,
        "error": error,
        "findings": findings.get(name, []),
        "describedby": " ".join(described),
    }


def _moves(kind: str, index: int) -> dict[str, str]:
    """The ids of a row's or a level's move buttons (the focus stays on the one pressed)."""
    return {"up": f"{kind}-up-{index}", "down": f"{kind}-down-{index}"}


def editor_context(
    actor: Actor,
    matrix: AssessmentMatrix | None,
    state: MatrixState,
    *,
    errors: dict[str, str] | None = None,
    findings: list[Finding] | None = None,
    result: EditResult | None = None,
    kr_filter: str = "",
    picked: list[str] | None = None,
) -> dict[str, Any]:
    state.padded()
    errors = errors or {}
    grouped = findings_by_field(findings or [])
    levels = [
        {**_field(f"levels.{i}", label, errors, grouped), "moves": _moves("level", i)}
        for i, label in enumerate(state.levels)
    ]
    rows = []
    for i, row in enumerate(state.rows):
        rows.append(
            {
                "index": i,
                "number": i + 1,
                "key": row.key,
                "moves": _moves("row", i),
                "aspect": _field(f"rows.{i}.aspect", row.aspect, errors, grouped),
                "key_error": errors.get(f"rows.{i}.knowledge_requirement_key", "")
                or errors.get(f"rows.{i}.descriptions", ""),
                "cells": [
                    {
                        "level": state.levels[j] or _("Level %(n)d") % {"n": j + 1},
                        **_field(f"rows.{i}.descriptions.{j}", text, errors, grouped),
                    }
                    for j, text in enumerate(row.descriptions)
                ],
            }
        )
    requirements = requirements_of(state.subject_code, state.curriculum_version)
    linked = {r.reference: r for r in requirements}
    for row_ctx in rows:
        row_ctx["requirement"] = linked.get(str(row_ctx["key"]))
    return {
        "matrix": matrix,
        "state": state,
        "title_field": _field("title", state.title, errors, grouped),
        "levels": levels,
        "rows": rows,
        "errors": errors,
        "has_findings": bool(findings),
        "acknowledged": state.acknowledged,
        "status": result.message if result else "",
        "focus": result.focus if result else "",
        "subjects": subjects_offered(),
        "requirements": requirements_filtered(requirements, kr_filter),
        "requirement_count": len(requirements),
        "kr_filter": kr_filter,
        "picked": set(picked or []),
        "choose_kind": bool(actor.user.is_municipality_admin) and matrix is None,
        "form_action": reverse("portal:matrix", args=[matrix.pk])
        if matrix
        else reverse("portal:matrix-new"),
    }


def _kind_posted(request: HttpRequest, actor: Actor, matrix: AssessmentMatrix | None) -> str:
    if matrix is not None:
        return matrix.kind
    if actor.user.is_municipality_admin and request.POST.get("kind") in MatrixKind.values:
        return str(request.POST["kind"])
    return MatrixKind.SKOLVERKET if not actor.user.is_school_staff else MatrixKind.TEACHER


def _saved(request: HttpRequest, matrix: AssessmentMatrix, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("portal:matrix", args=[matrix.pk])
    if is_htmx(request):  # the whole page changes (its address too)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _editor_post(
    request: HttpRequest, actor: Actor, matrix: AssessmentMatrix | None
) -> HttpResponse:
    """A structural edit redraws the editor with the posted state; "save" and "publish" go
    to the services, and their refusals are shown next to the inputs."""
    state = state_from_post(request.POST, kind=_kind_posted(request, actor, matrix))
    op = str(request.POST.get("op", "save"))
    kr_filter = str(request.POST.get("kr_filter", ""))[:200]
    picked = [str(key) for key in request.POST.getlist("pick")]
    context: dict[str, Any] = {"kr_filter": kr_filter, "picked": picked}
    if op in {"save", "publish"}:
        original = matrix
        try:
            with transaction.atomic():  # a refused publish leaves the draft as it was
                if matrix is None:
                    matrix = matrix_create(
                        actor=actor,
                        kind=state.kind,
                        data=state.to_input(),
                        acknowledged_text_guard=state.acknowledged,
                    )
                else:
                    matrix = matrix_update(
                        actor=actor,
                        matrix=matrix,
                        data=state.to_input(),
                        acknowledged_text_guard=state.acknowledged,
                    )
                if op == "publish":
                    matrix_publish(actor=actor, matrix=matrix)
        except TextGuardRefused as refused:
            message = _(
                "Not saved: check the wording marked below, or tick the box to save anyway."
            )
            context |= {"findings": refused.findings, "result": EditResult(message, "")}
        except InvalidInput as invalid:
            # (field -> message; "required" is a code, the detail says it in words)
            errors = {
                str(k): str(v)
                for k, v in invalid.extra.get("errors", {}).items()
                if v != "required"
            }
            context |= {
                "errors": errors,
                "result": EditResult(_("Not saved: %(why)s") % {"why": invalid.detail}, ""),
            }
        except AssessmentError as refused:
            context["result"] = EditResult(_("Not saved: %(why)s") % {"why": refused.detail}, "")
        else:
            if op == "publish":
                return _saved(
                    request, matrix, _("Published: the matrix can now be used for assessments.")
                )
            return _saved(request, matrix, _("Saved."))
        matrix = original  # what was written in the refused transaction is gone
    elif op == "filter":
        context["result"] = EditResult("", "")
    else:
        requirements = {
            r.reference: r.text
            for r in requirements_of(state.subject_code, state.curriculum_version)
        }
        context["result"] = edit_apply(state, op, picked, requirements)
        context["picked"] = []
    return render(
        request, "portal/matrices/editor.html", editor_context(actor, matrix, state, **context)
    )


@portal_view
def matrix_new(request: HttpRequest) -> HttpResponse:
    actor = _staff(request)
    if request.method == "POST":
        return _editor_post(request, actor, None)
    state = MatrixState(kind=_kind_posted(request, actor, None))
    return render(request, "portal/matrices/editor.html", editor_context(actor, None, state))


@portal_view
def matrix_page(request: HttpRequest, matrix_id: int) -> HttpResponse:
    actor = _staff(request)
    matrix = matrix_detail(actor, matrix_id)
    if request.method == "POST" and not editable(actor, matrix):
        messages.error(request, locked_reason(actor, matrix))  # nothing is written
        return redirect("portal:matrix", matrix_id=matrix.pk)
    if editable(actor, matrix):
        if request.method == "POST":
            return _editor_post(request, actor, matrix)
        return render(
            request, "portal/matrices/editor.html", editor_context(actor, matrix, state_of(matrix))
        )
    state = state_of(matrix)
    levels = sorted(matrix.levels.all(), key=lambda level: level.position)
    rows = [
        {"aspect": row.aspect, "key": row.key, "cells": row.descriptions}
        for row in state.padded().rows
    ]
    context = {
        "matrix": matrix,
        "levels": levels,
        "rows": rows,
        "reason": locked_reason(actor, matrix),
        "can_archive": matrix.archived_at is None
        and (
            matrix.owner_id == actor.user.pk
            if matrix.kind == MatrixKind.TEACHER
            else bool(actor.user.is_municipality_admin)
        ),
    }
    return render(request, "portal/matrices/detail.html", context)


# --- Actions on a whole matrix ------------------------------------------------------------------


def _act(request: HttpRequest, matrix_id: int, action: Any, done: str) -> HttpResponse:
    actor = _staff(request)
    matrix = matrix_get(actor, matrix_id)
    try:
        result = action(actor, matrix)
    except AssessmentError as refused:
        messages.error(request, refused.detail)
        return redirect("portal:matrix", matrix_id=matrix.pk)
    messages.success(request, done)
    return (
        redirect(result)
        if isinstance(result, str)
        else redirect("portal:matrix", matrix_id=matrix.pk)
    )


@portal_view
@require_POST
def matrix_copy_view(request: HttpRequest, matrix_id: int) -> HttpResponse:
    """A new draft of one's own with the matrix's texts: how a Skolverket-based or a published
    matrix is adapted (administrators without a teaching role copy into a Skolverket draft)."""

    def copy(actor: Actor, matrix: AssessmentMatrix) -> str:
        kind = MatrixKind.TEACHER if actor.user.is_school_staff else MatrixKind.SKOLVERKET
        return reverse(
            "portal:matrix", args=[matrix_copy(actor=actor, matrix=matrix, kind=kind).pk]
        )

    return _act(request, matrix_id, copy, _("Copied: this is your own draft, edit it freely."))


@portal_view
@require_POST
def matrix_archive_view(request: HttpRequest, matrix_id: int) -> HttpResponse:
    return _act(
        request,
        matrix_id,
        lambda actor, matrix: matrix_archive(actor=actor, matrix=matrix),
        _("Archived: the matrix and its assessments stay readable; no new assessments."),
    )


@portal_view
@require_POST
def matrix_delete_view(request: HttpRequest, matrix_id: int) -> HttpResponse:
    confirmed = request.POST.get("confirm") == "on"  # the form's required box (no undo)

    def delete(actor: Actor, matrix: AssessmentMatrix) -> str:
        if not confirmed:
            raise InvalidInput(_("Tick the box to confirm that the draft is deleted."))
        matrix_delete(actor=actor, matrix=matrix)
        return reverse("portal:matrices")

    return _act(request, matrix_id, delete, _("The draft was deleted."))

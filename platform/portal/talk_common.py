"""What the talk and IUP pages share: access checks that answer 404, the read log, autosave
draft tokens, text guard findings for the templates, and the pupil's subjects."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, Protocol

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from access.documents import DocumentAccessDenied
from access.policy import Actor, actor_for, visible_pupils
from access.readlog.services import access_log_record
from accounts.policy import require_second_factor, second_factor_satisfied
from curriculum.models import Subject
from curriculum.selectors import subject_version_on
from documentation.textguard.models import Category
from documentation.textguard.services import Finding
from portal.talk_forms import dom_id
from register.models import Activity, Enrolment, GroupMembership, Person, Responsible
from register.models.base import current_q
from register.models.choices import SecurityMarking

DRAFTS_SESSION_KEY = "portal_drafts"
MAX_DRAFT_TOKENS = 30


def actor_of(request: HttpRequest) -> Actor:
    return actor_for(request.user)  # type: ignore[arg-type]


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in and the second factor first (staff); "not yours" and "missing" are both 404.

    An htmx request (autosave, an inline form) from a page whose session has ended gets a status
    message in the page's status region instead of the sign-in page swapped into the form.
    """
    guarded = require_second_factor(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_htmx(request) and not second_factor_satisfied(request):
            response = render(request, "portal/talks/_signed_out.html")
            response["HX-Retarget"] = "#page-status"
            response["HX-Reswap"] = "innerHTML"
            return response
        try:
            return guarded(request, *args, **kwargs)
        except (DocumentAccessDenied, ObjectDoesNotExist) as missing:
            raise Http404 from missing

    return wrapped


def log_read(
    request: HttpRequest,
    actor: Actor,
    pupil_ids: Iterable[int],
    resource: str,
    object_ref: str = "",
    known: dict[int, str] | None = None,
) -> None:
    """One read-log entry naming every pupil the page shows, with the relation that allowed it
    (``known`` relations are used as they are; an author without a relation reads as author)."""
    relations = dict(known or {})
    missing = set(pupil_ids) - set(relations)
    if missing:
        found = dict(
            visible_pupils(actor).filter(pk__in=missing).values_list("pk", "relation")  # type: ignore[misc]
        )
        relations.update({pk: str(found.get(pk, "author")) for pk in missing})
    access_log_record(
        actor=actor.user,
        actor_role=",".join(sorted(set(relations.values())))[:32] or "none",
        pupils=relations,
        resource=resource,
        object_ref=object_ref,
        request=request,
    )


class SaveResult(Protocol):
    saved: bool
    findings: list[Finding]
    error: str


def save_status(outcome: SaveResult) -> str:
    """What the status region says after a save (or an autosave)."""
    if outcome.error:
        return outcome.error
    if not outcome.saved:
        return _("Not saved: check the wording marked below, or tick the box to save anyway.")
    saved_at = time_format(timezone.localtime(), "H:i")
    if outcome.findings:
        return _("Saved %(time)s, with wording you chose to keep.") % {"time": saved_at}
    return _("Saved %(time)s") % {"time": saved_at}


def form_errors_text(form: Any) -> str:
    """The form's errors as one sentence for the status region (an autosave re-renders no
    fields, so the status says what is wrong)."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return _("Not saved: %(errors)s") % {"errors": " ".join(parts)}


# --- Autosave: one draft per editor page, however often it saves ---------------------------


def draft_token_new() -> str:
    return secrets.token_urlsafe(16)


def _draft_key(kind: str, pupil_id: int, token: str) -> str:
    return f"{kind}:{pupil_id}:{token}"


def draft_for_token(request: HttpRequest, kind: str, pupil_id: int, token: str) -> int | None:
    """The id of the draft this page already created (kept in the session, per schema)."""
    if not token:
        return None
    drafts = request.session.get(DRAFTS_SESSION_KEY, {})
    value = drafts.get(_draft_key(kind, pupil_id, token))
    return int(value) if value is not None else None


def draft_remember(request: HttpRequest, kind: str, pupil_id: int, token: str, pk: int) -> None:
    if not token:
        return
    drafts = dict(request.session.get(DRAFTS_SESSION_KEY, {}))
    drafts[_draft_key(kind, pupil_id, token)] = pk
    request.session[DRAFTS_SESSION_KEY] = dict(list(drafts.items())[-MAX_DRAFT_TOKENS:])


# --- Text guard findings, shaped for the templates -----------------------------------------


def findings_by_field(
    findings: Sequence[Finding], rename: dict[str, str] | None = None
) -> dict[str, list[dict[str, str]]]:
    """{input name: [{"text", "category", "suggestion"}]}; ``rename`` maps a service's field
    name to the input that holds it."""
    rename = rename or {}
    labels = dict(Category.choices)
    grouped: dict[str, list[dict[str, str]]] = {}
    for finding in findings:
        field = rename.get(finding.field, finding.field)
        grouped.setdefault(field, []).append(
            {
                "text": finding.text,
                "category": str(labels.get(finding.category, finding.category)),
                "suggestion": finding.suggestion,
            }
        )
    return grouped


def findings_slots(
    fields: Sequence[str], grouped: dict[str, list[dict[str, str]]]
) -> list[dict[str, Any]]:
    """One slot per free-text input: its DOM id and its findings (empty clears the slot)."""
    return [{"id": f"findings-{dom_id(f)}", "findings": grouped.get(f, [])} for f in fields]


def autosave_fragment(
    request: HttpRequest,
    *,
    status: str,
    fields: Sequence[str],
    findings: Sequence[Finding],
    rename: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """What an editor's autosave (or text check) answers: the status line, the findings next
    to each posted free-text field, and the acknowledgement box when it has to change."""
    shown = request.POST.get("findings_shown") == "1"
    context = {
        "status": status,
        "slots": findings_slots(fields, findings_by_field(findings, rename)),
        # the acknowledgement box is swapped only when findings appear or go away, so a tick
        # (and the keyboard focus on it) survives the next autosave
        "ack_swap": bool(findings) != shown,
        "has_findings": bool(findings),
        "acknowledged": bool(request.POST.get("acknowledge")),
        **extra,
    }
    return render(request, "portal/talks/_autosave.html", context)


def editor_urls(kind: str, pupil_id: int, document: Any | None) -> dict[str, Any]:
    """Where the talk ("talk") or IUP ("iup") editor posts and autosaves. A published document
    is saved on purpose only (an edit is a new version): its editor checks the text without
    saving."""
    if document is None:
        return {
            "autosave_url": reverse(f"portal:{kind}-new-autosave", args=[pupil_id]),
            "form_action": reverse(f"portal:{kind}-new", args=[pupil_id]),
            "autosave_saves": True,
        }
    published = bool(document.published_at)
    autosave = "portal:text-guard-findings" if published else f"portal:{kind}-autosave"
    return {
        "autosave_url": reverse(autosave, args=[] if published else [document.pk]),
        "form_action": reverse(f"portal:{kind}", args=[document.pk]),
        "autosave_saves": not published,
    }


def text_guard_texts(data: Any) -> dict[str, str]:
    """The free-text inputs of a posted talk or IUP form, by their text guard field names."""
    plain = {"notes", "goals", "measures", "text", "note", "new_subject.text"}
    return {
        str(name): str(data.get(name, ""))
        for name in data
        if name in plain or str(name).startswith(("answers.", "subjects."))
    }


# --- The pupil's register data the editors offer -------------------------------------------


def guardians_listed(pupil: Person) -> QuerySet[Person]:
    """The pupil's responsible adults who may appear in a list (no protected identity)."""
    ids = Responsible.objects.filter(pupil=pupil).values("guardian_id")
    return Person.objects.filter(
        pk__in=ids, removed_at__isnull=True, security_marking=SecurityMarking.NONE
    ).order_by("given_name", "family_name", "pk")


def guardians_protected_ids(pupil: Person) -> set[int]:
    ids = Responsible.objects.filter(pupil=pupil).values("guardian_id")
    return set(
        Person.objects.filter(pk__in=ids)
        .exclude(security_marking=SecurityMarking.NONE)
        .values_list("pk", flat=True)
    )


def pupil_subject_codes(pupil_id: int, on: dt.date | None = None) -> list[str]:
    """Subject codes of the current activities of the pupil's current groups."""
    on = on or timezone.localdate()
    groups = GroupMembership.objects.filter(current_q(on), person_id=pupil_id).values("group_id")
    codes = (
        Activity.objects.filter(current_q(on), groups__in=groups)
        .exclude(subject_code="")
        .values_list("subject_code", flat=True)
        .distinct()
    )
    return sorted(set(codes))


def subject_names(codes: Iterable[str]) -> dict[str, str]:
    """Syllabus names by code (latest version); codes unknown to the curriculum data are left
    out. Curriculum data lives in the public schema, referenced by code only."""
    codes = list(set(codes))
    if not codes:
        return {}
    rows = (
        Subject.objects.filter(code__in=codes)
        .order_by("code", "-version")
        .distinct("code")
        .values_list("code", "name")
    )
    return dict(rows)


def subject_versions_today(codes: Iterable[str]) -> dict[str, str]:
    """The syllabus version valid today for each code (a document binds to it when written)."""
    today = timezone.localdate()
    versions = {}
    for code in set(codes):
        subject = subject_version_on(code=code, on=today)
        if subject is not None:
            versions[code] = str(subject.version)
    return versions


def pupil_school_year(pupil_id: int) -> int | None:
    year: int | None = (
        Enrolment.objects.filter(current_q(), person_id=pupil_id, cancelled=False)
        .exclude(school_year=None)
        .values_list("school_year", flat=True)
        .first()
    )
    return year


def current_term(on: dt.date | None = None) -> str:
    on = on or timezone.localdate()
    return f"{'HT' if on.month >= 7 else 'VT'}{on.year}"

"""Publishing a talk or an IUP from the portal: one confirmation page for both. The stored text
is checked again and needs its own acknowledgement; the text guard and the publishing service
run in one transaction, so a refusal publishes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from access.policy import Actor
from documentation.common.guard import guard_texts
from documentation.textguard.services import TextGuardFindings, text_check
from portal.talk_common import findings_by_field, log_read
from register.models import Person

TEMPLATES = {"talk": "portal/talks/publish.html", "iup": "portal/talks/iup_publish.html"}


@dataclass
class Publishing:
    """What one publish page is about: a talk or an IUP ("talk" or "iup"), the staff relation
    that allows writing it (for the read log), its stored free text and the publishing call."""

    kind: str
    document: Any  # a DevelopmentTalk or an IUP
    relation: str
    texts: dict[str, str]
    publish: Callable[[], object]
    context: dict[str, Any] = field(default_factory=dict)


def publish_confirmation(
    request: HttpRequest, actor: Actor, publishing: Publishing
) -> HttpResponse:
    """GET: the confirmation with any findings. POST: publishes (with the acknowledgement when
    there are findings) and goes back to the document; refused, the page comes back."""
    kind, document = publishing.kind, publishing.document
    texts = {name: text for name, text in publishing.texts.items() if text}
    findings = text_check(texts=texts)
    if request.method == "POST":
        try:
            with transaction.atomic():
                guard_texts(
                    texts=texts,
                    acknowledged=bool(request.POST.get("acknowledge")),
                    user=actor.user,
                    document_ref=f"talks.{kind}:{document.pk}",
                )
                publishing.publish()
        except TextGuardFindings as refused:
            findings = refused.findings
            messages.error(request, _("Not published: confirm that you have checked the wording."))
        else:
            messages.success(request, _("Published. The pupil and their guardians can now see it."))
            return redirect(f"portal:{kind}", document.pk)
    pupil = Person.objects.get(pk=document.pupil_id)
    known = {pupil.pk: publishing.relation}
    log_read(request, actor, {pupil.pk}, f"portal.{kind}.publish", f"{kind}:{document.pk}", known)
    context = {
        "pupil": pupil,
        kind: document,
        "findings": findings_by_field(findings),
        "has_findings": bool(findings),
        **publishing.context,
    }
    return render(request, TEMPLATES[kind], context)

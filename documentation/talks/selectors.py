"""Reading talks and IUPs: always narrowed by access.documents (drafts to staff only)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from access.documents import pupil_documents
from access.policy import Actor
from documentation.talks.models import IUP, DevelopmentTalk, DocumentVersion, TalkTemplate


def talk_list(actor: Actor, *, pupil_id: int | None = None) -> QuerySet[DevelopmentTalk]:
    talks = DevelopmentTalk.objects.select_related("template").prefetch_related(
        "agreements", "guardian_participants"
    )
    if pupil_id is not None:
        talks = talks.filter(pupil_id=pupil_id)
    return pupil_documents(actor, talks, visibility_field=None)


def talk_get(actor: Actor, talk_id: int) -> DevelopmentTalk:
    return talk_list(actor).get(pk=talk_id)


def iup_list(actor: Actor, *, pupil_id: int | None = None) -> QuerySet[IUP]:
    iups = IUP.objects.prefetch_related(Prefetch("subjects"))
    if pupil_id is not None:
        iups = iups.filter(pupil_id=pupil_id)
    return pupil_documents(actor, iups, visibility_field=None)


def iup_get(actor: Actor, iup_id: int) -> IUP:
    return iup_list(actor).get(pk=iup_id)


def document_versions(kind: str, document_id: int) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(kind=kind, document_id=document_id)


def talk_template_list() -> QuerySet[TalkTemplate]:
    return TalkTemplate.objects.filter(archived_at__isnull=True).select_related("organisation")

"""The formative log: one entry for a group, or the same entry to many pupils in one call.

Set-based: the access check for any number of pupils is one query, the entries one INSERT and
their history one INSERT. Either every pupil may be written about, or nothing is written.
Entries are published when saved (``draft=True`` keeps them for staff until published).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.documents import (
    DocumentAccessDenied,
    require_staff_group,
    require_staff_pupil,
    staff_pupils,
)
from access.policy import Actor
from documentation.plans.guard import texts_guard
from documentation.plans.models import FormativeEntry, FormativeEntryHistory, Visibility
from documentation.plans.models.formative import ENTRY_TEXT_MAX
from documentation.plans.selectors import entries_readable, plans_readable
from documentation.plans.services.common import jsonable
from register.models import Group

BULK_MAX = 500
EDITABLE_FIELDS = ("date", "text", "visibility", "plan_id")


def entry_snapshot(entry: FormativeEntry) -> dict[str, Any]:
    return jsonable(
        {
            "pupil_id": entry.pupil_id,
            "group_id": entry.group_id,
            "plan_id": entry.plan_id,
            "date": entry.date,
            "text": entry.text,
            "visibility": entry.visibility,
            "published_at": entry.published_at,
        }
    )


def _text_clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("An entry needs a text.")]})
    if len(text) > ENTRY_TEXT_MAX:
        raise ValidationError(
            {"text": [_("At most %(max)d characters.") % {"max": ENTRY_TEXT_MAX}]}
        )
    return text


def _visibility_clean(visibility: str) -> str:
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": [_("Either staff or pupil_guardians.")]})
    return visibility


def _plan_check(actor: Actor, plan_id: int | None) -> None:
    if plan_id is not None and not plans_readable(actor).filter(pk=plan_id).exists():
        raise ValidationError({"plan_id": [_("No such plan.")]})


@transaction.atomic
def formative_entry_create(
    *,
    actor: Actor,
    date: dt.date,
    text: str,
    visibility: str,
    pupil_ids: Sequence[int] = (),
    group_id: int | None = None,
    plan_id: int | None = None,
    draft: bool = False,
    acknowledge: bool = False,
) -> list[FormativeEntry]:
    """The same entry for each of ``pupil_ids`` (one per pupil, sharing a batch id), or one
    entry for the group ``group_id``. DocumentAccessDenied (404, nothing written) unless the
    actor writes documentation about every one of them."""
    if bool(pupil_ids) == (group_id is not None):
        raise ValidationError(_("An entry is for pupils or for a group (one of them)."))
    text = _text_clean(text)
    visibility = _visibility_clean(visibility)
    organisation_id = None
    wanted = sorted(set(pupil_ids))
    if wanted:
        if len(wanted) > BULK_MAX:
            raise ValidationError({"pupil_ids": [_("At most %(max)d pupils.") % {"max": BULK_MAX}]})
        allowed = set(staff_pupils(actor).filter(pk__in=wanted).values_list("pk", flat=True))
        if allowed != set(wanted):
            raise DocumentAccessDenied
    else:
        assert group_id is not None
        require_staff_group(actor, group_id)
        organisation_id = Group.objects.values_list("organisation_id", flat=True).get(pk=group_id)
    _plan_check(actor, plan_id)
    now = timezone.now()
    batch = uuid.uuid4()
    common = {
        "group_id": group_id,
        "plan_id": plan_id,
        "date": date,
        "text": text,
        "visibility": visibility,
        "batch": batch,
        "author": actor.user,
        "updated_by": actor.user,
        "created_at": now,
        "updated_at": now,
        "published_at": None if draft else now,
    }
    targets: list[int | None] = list(wanted) or [None]
    entries = FormativeEntry.objects.bulk_create(
        [FormativeEntry(pupil_id=pupil_id, **common) for pupil_id in targets]
    )
    FormativeEntryHistory.objects.bulk_create(
        [
            FormativeEntryHistory(
                entry=entry,
                action=FormativeEntryHistory.Action.CREATED,
                snapshot=entry_snapshot(entry),
                by=actor.user,
                at=now,
            )
            for entry in entries
        ]
    )
    texts_guard(
        texts={"text": text},
        acknowledged=acknowledge,
        user=actor.user,
        document_ref=f"plans.formative_entries:{batch}",
        organisation_id=organisation_id,
    )
    return entries


@transaction.atomic
def formative_entry_update(
    *,
    actor: Actor,
    entry_id: int,
    changes: Mapping[str, Any],
    publish: bool | None = None,
    acknowledge: bool = False,
) -> FormativeEntry:
    """Changes an entry (only the fields in ``changes``) and/or publishes a draft; every change
    is a history row. A published entry stays published. Nothing changed, nothing written."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed.")] for name in sorted(unknown)}
        )
    if not entries_readable(actor).filter(pk=entry_id).exists():
        raise FormativeEntry.DoesNotExist
    entry = FormativeEntry.objects.select_for_update().get(pk=entry_id)
    if entry.pupil_id is not None:
        require_staff_pupil(actor, entry.pupil_id)
    else:
        assert entry.group_id is not None
        require_staff_group(actor, entry.group_id)
    cleaned = dict(changes)
    if "text" in cleaned:
        cleaned["text"] = _text_clean(str(cleaned["text"]))
    if "visibility" in cleaned:
        cleaned["visibility"] = _visibility_clean(str(cleaned["visibility"]))
    if cleaned.get("plan_id") is not None and cleaned["plan_id"] != entry.plan_id:
        _plan_check(actor, cleaned["plan_id"])
    changed = {name: value for name, value in cleaned.items() if getattr(entry, name) != value}
    publishing = bool(publish) and entry.published_at is None
    if publish is False and entry.published_at is not None:
        raise ValidationError({"publish": [_("A published entry stays published.")]})
    if not changed and not publishing:
        return entry
    now = timezone.now()
    for name, value in changed.items():
        setattr(entry, name, value)
    if publishing:
        entry.published_at = now
    entry.updated_by = actor.user
    entry.updated_at = now
    entry.save()
    FormativeEntryHistory.objects.create(
        entry=entry,
        action=(
            FormativeEntryHistory.Action.PUBLISHED
            if publishing
            else FormativeEntryHistory.Action.UPDATED
        ),
        snapshot=entry_snapshot(entry),
        by=actor.user,
        at=now,
    )
    if "text" in changed or publishing:
        texts_guard(
            texts={"text": entry.text},
            acknowledged=acknowledge,
            user=actor.user,
            document_ref=f"plans.formative_entry:{entry.pk}",
            organisation_id=entry.group.organisation_id if entry.group is not None else None,
        )
    return entry

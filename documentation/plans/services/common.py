"""What the plan, template and formative-log services share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from access.documents import DocumentAccessDenied, require_staff_group, staff_groups
from access.policy import Actor
from documentation.plans import curriculum_refs
from register.models import Activity, Group

REFS_MAX = 200


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with dates as ISO text and tuples as lists, for snapshot and history rows."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, dt.date | dt.datetime):
            out[name] = value.isoformat()
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out


def require_staff_activity(actor: Actor, activity_id: int) -> None:
    """Staff of one of the activity's groups (its teachers among them) write its plans."""
    groups = Activity.groups.through.objects.filter(activity_id=activity_id).values("group_id")
    if not staff_groups(actor).filter(pk__in=groups).exists():
        raise DocumentAccessDenied


def staff_target(
    actor: Actor, *, group_id: int | None, activity_id: int | None
) -> tuple[Group | None, Activity | None]:
    """The group or activity (exactly one) a plan is for, if ``actor`` writes its documents;
    DocumentAccessDenied (404) otherwise, also when it does not exist."""
    if (group_id is None) == (activity_id is None):
        raise ValidationError(_("A plan is for a group or for an activity (one of them)."))
    if group_id is not None:
        require_staff_group(actor, group_id)
        return Group.objects.get(pk=group_id), None
    assert activity_id is not None
    require_staff_activity(actor, activity_id)
    return None, Activity.objects.get(pk=activity_id)


def subject_version(subject_code: str, *, on: dt.date) -> int:
    """The subject version a document written ``on`` binds to; ValidationError if unknown."""
    version = curriculum_refs.subject_version_on(code=subject_code, on=on)
    if version is None:
        raise ValidationError(
            {"subject_code": [_("No syllabus %(code)s is valid today.") % {"code": subject_code}]}
        )
    return version


def references_clean(
    *, central_content: Sequence[str], requirements: Sequence[str], version: int
) -> tuple[list[str], list[str]]:
    """The references, stripped and without duplicates (order kept), checked against the
    curriculum; ValidationError naming each bad one."""
    cleaned: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for field, refs in (
        ("central_content_keys", central_content),
        ("knowledge_requirement_keys", requirements),
    ):
        unique = list(dict.fromkeys(ref.strip() for ref in refs if ref.strip()))
        if len(unique) > REFS_MAX:
            errors[field] = [_("At most %(max)d references.") % {"max": REFS_MAX}]
            continue
        problems = curriculum_refs.references_problems(references=unique, version=version)
        if problems:
            errors[field] = problems
        cleaned[field] = unique
    if errors:
        raise ValidationError(errors)
    return cleaned["central_content_keys"], cleaned["knowledge_requirement_keys"]

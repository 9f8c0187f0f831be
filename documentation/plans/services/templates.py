"""Plan templates: shared with a school's staff or with the whole municipality."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.policy import Actor, my_duties
from documentation.plans.guard import texts_guard
from documentation.plans.models import PlanTemplate, TemplateScope
from documentation.plans.sanitise import sanitise_html
from documentation.plans.selectors import template_organisations
from documentation.plans.services.common import references_clean, subject_version
from register.models import Organisation
from register.models.choices import DutyRole


def _may_share_with_municipality(actor: Actor) -> bool:
    return actor.user.is_municipality_admin or (
        my_duties(actor).filter(duty_role=DutyRole.PRINCIPAL).exists()
    )


@transaction.atomic
def template_create(
    *,
    actor: Actor,
    scope: str,
    title: str,
    subject_code: str,
    organisation_id: int | None = None,
    description_html: str = "",
    teaching_forms: str = "",
    assessment_forms: str = "",
    central_content_keys: Sequence[str] = (),
    knowledge_requirement_keys: Sequence[str] = (),
    acknowledge: bool = False,
) -> PlanTemplate:
    """A template for the staff of a school the author works at (or above or below it), or, by
    a principal or a municipality administrator, for the whole municipality."""
    user = actor.user
    if not (user.is_active and (user.is_school_staff or user.is_municipality_admin)):
        raise PermissionDenied
    if scope == TemplateScope.MUNICIPALITY:
        if not _may_share_with_municipality(actor):
            raise PermissionDenied
        organisation_id = None
    elif scope == TemplateScope.ORGANISATION:
        reachable = Organisation.objects.filter(pk=organisation_id or 0)
        if not user.is_municipality_admin:
            reachable = reachable.filter(template_organisations(actor, prefix=""))
        if not reachable.exists():
            raise ValidationError({"organisation_id": [_("Choose a school you work at.")]})
    else:
        raise ValidationError({"scope": [_("A template is for a school or the municipality.")]})
    title, subject_code = title.strip(), subject_code.strip()
    if not title or not subject_code:
        raise ValidationError(_("A template needs a title and a subject."))
    version = subject_version(subject_code, on=actor.on)
    central, requirements = references_clean(
        central_content=central_content_keys,
        requirements=knowledge_requirement_keys,
        version=version,
    )
    template = PlanTemplate.objects.create(
        scope=scope,
        organisation_id=organisation_id,
        title=title,
        subject_code=subject_code,
        curriculum_version=version,
        description_html=sanitise_html(description_html),
        teaching_forms=teaching_forms.strip(),
        assessment_forms=assessment_forms.strip(),
        central_content_keys=central,
        knowledge_requirement_keys=requirements,
        created_by=user,
        created_at=timezone.now(),
    )
    texts_guard(
        texts={
            "title": template.title,
            "description_html": template.description_html,
            "teaching_forms": template.teaching_forms,
            "assessment_forms": template.assessment_forms,
        },
        acknowledged=acknowledge,
        user=user,
        document_ref=f"plans.template:{template.pk}",
        organisation_id=organisation_id,
    )
    return template

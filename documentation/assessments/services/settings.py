"""The municipality's assessment settings (administrators only)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from access.policy import Actor
from core import request_cache
from core.db import connection
from documentation.assessments.errors import InvalidInput, NotAllowed
from documentation.assessments.models import AssessmentSettings, Visibility


@transaction.atomic
def assessment_settings_update(*, actor: Actor, skolverket_visibility: str) -> AssessmentSettings:
    """Who sees published Skolverket-based matrices and their assessments: staff only, or the
    pupils and guardians too (a decision of the education board)."""
    if not actor.user.is_municipality_admin:
        raise NotAllowed(_("Only a municipality administrator changes the assessment settings."))
    if skolverket_visibility not in Visibility.values:
        raise InvalidInput(
            _("Unknown visibility."), errors={"skolverket_visibility": "staff or pupil_guardians"}
        )
    settings, _created = AssessmentSettings.objects.select_for_update().get_or_create(id=1)
    settings.skolverket_visibility = skolverket_visibility
    settings.save()
    request_cache.forget(f"assessment_settings:{connection.schema_name}")
    return settings

"""Attendance and grades are out of scope by design: no models, and a clear refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

# Keys (and substrings of keys) that mean attendance/absence or grades, in English and Swedish.
ATTENDANCE_KEYS = ("attendance", "absence", "franvaro", "frånvaro", "narvaro", "närvaro")
GRADE_KEYS = ("grade", "betyg")


def refuse_out_of_scope(data: Mapping[str, Any]) -> None:
    """Raises a 400 when a request tries to store attendance or grades."""
    keys = [str(key).lower() for key in data]
    if any(word in key for key in keys for word in ATTENDANCE_KEYS):
        raise ValidationError(
            {
                "code": "out_of_scope",
                "detail": _("Lärspår does not store attendance or absence: it belongs in Skola24."),
            }
        )
    if any(word in key for key in keys for word in GRADE_KEYS):
        raise ValidationError(
            {
                "code": "out_of_scope",
                "detail": _(
                    "Lärspår does not store grades: they are set in the pupil register. "
                    "Use summative assessments against the knowledge requirements instead."
                ),
            }
        )

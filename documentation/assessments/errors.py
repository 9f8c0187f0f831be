"""What the assessment services refuse, and how the API answers each."""

from __future__ import annotations

from typing import Any


class AssessmentError(Exception):
    """Base: ``code`` is the machine-readable reason, ``detail`` the explanation."""

    code = "assessment_error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotAllowed(AssessmentError):
    """The actor's role does not allow this (pupils and guardians never write, ...): 403."""

    code = "not_allowed"


class MatrixLocked(NotAllowed):
    """The actor may not edit this matrix (a Skolverket-based matrix, or someone else's): 403."""

    code = "matrix_locked"


class MatrixFrozen(AssessmentError):
    """The matrix is published (frozen) or archived: copy it to change it. 409."""

    code = "matrix_frozen"


class MatrixNotOpen(AssessmentError):
    """Assessments are saved on published, unarchived matrices only. 409."""

    code = "matrix_not_open"


class InvalidInput(AssessmentError):
    """The request is malformed (unknown rows or levels, duplicates, ...). 400."""

    code = "invalid"

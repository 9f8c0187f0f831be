"""API conventions shared by every endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turns domain errors into clear 4xx answers instead of 500s.

    A missing object and one the actor may not see give the same 404 (no existence oracle).
    """
    from access.documents import DocumentAccessDenied
    from documentation.textguard.api import text_guard_response

    if (guarded := text_guard_response(exc)) is not None:
        return guarded
    if isinstance(exc, ObjectDoesNotExist | DocumentAccessDenied):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)

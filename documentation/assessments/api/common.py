"""What every assessments endpoint shares: permissions, error answers, the read log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.documents import DocumentAccessDenied
from access.policy import Actor, actor_for
from access.readlog.services import access_log_record
from accounts.models import User
from accounts.policy import HasSecondFactor
from documentation.assessments.errors import (
    AssessmentError,
    InvalidInput,
    MatrixFrozen,
    MatrixNotOpen,
    NotAllowed,
)
from documentation.assessments.guard import TextGuardRefused, finding_as_dict
from documentation.common.scope import refuse_out_of_scope

ERROR_STATUS = {
    NotAllowed: status.HTTP_403_FORBIDDEN,
    MatrixFrozen: status.HTTP_409_CONFLICT,
    MatrixNotOpen: status.HTTP_409_CONFLICT,
    InvalidInput: status.HTTP_400_BAD_REQUEST,
}


def actor_of(request: Request) -> Actor:
    return actor_for(request.user)  # type: ignore[arg-type]


def user_of(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class AssessmentApi(APIView):
    """Signed in, with a second factor for staff (pupils and guardians are not asked)."""

    permission_classes = [IsAuthenticated, HasSecondFactor]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DocumentAccessDenied):
            exc = exceptions.NotFound()
        elif isinstance(exc, TextGuardRefused):
            return Response(
                {"code": "text_guard", "findings": [finding_as_dict(f) for f in exc.findings]},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        elif isinstance(exc, AssessmentError):
            answer: int = status.HTTP_400_BAD_REQUEST
            for kind, code in ERROR_STATUS.items():
                if isinstance(exc, kind):
                    answer = code
                    break
            return Response({"code": exc.code, "detail": exc.detail, **exc.extra}, status=answer)
        return super().handle_exception(exc)


def refuse_out_of_scope_deep(data: Any) -> None:
    """refuse_out_of_scope on the payload and every object nested in it (grid cells, rows):
    the keys of all of them are collected first and checked once."""
    keys: set[str] = set()
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            keys.update(str(key) for key in item)
            pending.extend(v for v in item.values() if isinstance(v, list | Mapping))
        elif isinstance(item, list):
            pending.extend(v for v in item if isinstance(v, list | Mapping))
    refuse_out_of_scope(dict.fromkeys(keys))


def role_of(relations: Mapping[int, str]) -> str:
    joined = ",".join(sorted(set(relations.values()))) or "none"
    return joined if len(joined) <= 32 else "mixed"


def log_read(
    request: Request, relations: Mapping[int, str], *, resource: str, object_ref: str
) -> None:
    """One read-log entry naming every pupil in the response (with the relation that allowed
    it). Called last, after the service's transaction, as access_log_record asks."""
    access_log_record(
        actor=user_of(request),
        actor_role=role_of(relations),
        pupils=dict(relations),
        resource=resource,
        object_ref=object_ref,
        request=request,
    )

"""What the plans endpoints share: permissions, error answers, parsing and the read log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.documents import DocumentAccessDenied
from access.policy import Actor, actor_for
from access.readlog.services import access_log_record
from accounts.models import User
from accounts.policy import HasSecondFactor
from documentation.common.scope import refuse_out_of_scope
from documentation.plans.guard import GuardFindings
from documentation.plans.selectors import reading_relations
from documentation.plans.services.plans import PlanDeletionRefused

ROLE_MAX = 32


def actor_of(request: Request) -> Actor:
    return actor_for(request.user)  # type: ignore[arg-type]


class DocumentationApi(APIView):
    """Signed in, and for staff a verified second factor. Writes nobody may make about this
    pupil or group answer 404, like a missing object; text guard findings answer 422."""

    permission_classes = [IsAuthenticated, HasSecondFactor]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DocumentAccessDenied):
            exc = NotFound()
        elif isinstance(exc, GuardFindings):
            return Response(
                {"code": "text_guard", "findings": exc.findings},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        elif isinstance(exc, PlanDeletionRefused):
            return Response(
                {"code": "archive_instead", "detail": str(exc)},
                status=status.HTTP_405_METHOD_NOT_ALLOWED,
            )
        return super().handle_exception(exc)


def parse(
    form_class: type[serializers.Serializer], request: Request, *, partial: bool = False
) -> dict[str, Any]:
    """The request's JSON object, validated: attendance and grades are refused (400, with the
    reason), and so is any field the form does not know."""
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError({"detail": _("Expected a JSON object.")})
    refuse_out_of_scope(data)
    form = form_class(data=data, partial=partial)
    unknown = sorted(set(data) - set(form.fields))
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


def int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError as error:
        raise ValidationError({name: [_("Must be a number.")]}) from error
    if value < 1:
        raise ValidationError({name: [_("Must be a number.")]})
    return value


def flag_param(request: Request, name: str) -> bool:
    return str(request.query_params.get(name, "")).lower() in {"1", "true", "yes"}


def user_role(user: User) -> str:
    """The actor's role when a read names no pupil (a group's plans)."""
    if user.is_school_staff:
        return "staff"
    if user.is_municipality_admin:
        return "municipality_admin"
    return "pupil_or_guardian"


def log_read(
    request: Request,
    actor: Actor,
    *,
    resource: str,
    pupil_ids: Iterable[int] = (),
    object_ref: str = "",
) -> None:
    """One read-log entry for this response: each pupil with the relation that let the actor
    read about them. Call it last (inside a write's transaction: as its last statement)."""
    relations = reading_relations(actor, pupil_ids)
    role = ",".join(sorted(set(relations.values()))) or user_role(actor.user)
    access_log_record(
        actor=actor.user,
        actor_role=role if len(role) <= ROLE_MAX else "mixed",
        pupils=relations,
        resource=resource,
        object_ref=object_ref,
        request=request,
    )


# --- Output pieces -------------------------------------------------------------------------------


class PlanAuthorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()


class PlanGroupOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")

"""Development talks and IUPs over the API. Reads write one read-log entry per response."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api import actor_of
from access.policy import Actor, visible_pupils
from access.readlog.services import access_log_record
from accounts.policy import HasSecondFactor
from documentation.common.scope import refuse_out_of_scope
from documentation.talks import selectors
from documentation.talks.models import IUP, DevelopmentTalk, TalkAgreement
from documentation.talks.services import iups as iup_services
from documentation.talks.services import talks as talk_services

PERMISSIONS = [IsAuthenticated, HasSecondFactor]


def _relations(actor: Actor, pupil_ids: set[int]) -> dict[int, str]:
    """The relation per pupil for the read log (one query); an author who no longer has a
    relation to the pupil reads their own document as its author."""
    found = dict(
        visible_pupils(actor).filter(pk__in=pupil_ids).values_list("pk", "relation")  # type: ignore[misc]
    )
    return {pid: str(found.get(pid, "author")) for pid in pupil_ids}


def _log(request: Request, actor: Actor, pupil_ids: set[int], resource: str, ref: str = "") -> None:
    relations = _relations(actor, pupil_ids)
    access_log_record(
        actor=request.user,  # type: ignore[arg-type]
        actor_role=",".join(sorted(set(relations.values()))) or "none",
        pupils=relations,
        resource=resource,
        object_ref=ref,
        request=request,
    )


def _pupil_filter(request: Request) -> int | None:
    raw = request.query_params.get("pupil")
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError as error:
        raise ValidationError({"pupil": "Must be a number."}) from error


def _parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"detail": "Expected a JSON object."})
    refuse_out_of_scope(request.data)
    form = serializer_class(data=request.data)
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


def _value_errors(call: Any) -> Any:
    try:
        return call()
    except ValueError as error:
        raise ValidationError({"detail": str(error)}) from error


# --- Talks -------------------------------------------------------------------------------------


class AgreementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    responsible = serializers.CharField()
    follow_up_on = serializers.DateField(allow_null=True)
    followed_up_at = serializers.DateTimeField(allow_null=True)
    follow_up_note = serializers.CharField()


class TalkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    pupil_id = serializers.IntegerField()
    template_id = serializers.IntegerField(allow_null=True)
    scheduled_at = serializers.DateTimeField(allow_null=True)
    held_on = serializers.DateField(allow_null=True)
    answers = serializers.DictField(child=serializers.CharField())
    notes = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    current_version = serializers.IntegerField()
    agreements = AgreementOutput(many=True)


class TalkInputSerializer(serializers.Serializer):
    pupil_id = serializers.IntegerField(required=False)
    template_id = serializers.IntegerField(required=False, allow_null=True)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    held_on = serializers.DateField(required=False, allow_null=True)
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    guardian_participant_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False
    )
    staff_participant_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    pupil_participated = serializers.BooleanField(required=False, default=True)
    acknowledge = serializers.BooleanField(required=False, default=False)


def _talk_input(data: dict[str, Any]) -> talk_services.TalkInput:
    return talk_services.TalkInput(
        template_id=data.get("template_id"),
        scheduled_at=data.get("scheduled_at"),
        held_on=data.get("held_on"),
        answers=data.get("answers", {}),
        notes=data.get("notes", ""),
        staff_participant_ids=tuple(data.get("staff_participant_ids", ())),
        guardian_participant_ids=tuple(data.get("guardian_participant_ids", ())),
        pupil_participated=data.get("pupil_participated", True),
    )


class TalkListApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(parameters=[OpenApiParameter("pupil", int)], responses=TalkOutput(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        paginator = PageNumberPagination()
        talks = selectors.talk_list(actor, pupil_id=_pupil_filter(request))
        page: list[DevelopmentTalk] = paginator.paginate_queryset(talks, request, view=self) or []
        _log(request, actor, {t.pupil_id for t in page}, "talks.talk.list")
        return paginator.get_paginated_response(TalkOutput(page, many=True).data)

    @extend_schema(request=TalkInputSerializer, responses={201: TalkOutput})
    def post(self, request: Request) -> Response:
        data = _parse(TalkInputSerializer, request)
        if "pupil_id" not in data:
            raise ValidationError({"pupil_id": "This field is required."})
        talk = _value_errors(
            lambda: talk_services.talk_create(
                actor=actor_of(request),
                pupil_id=data["pupil_id"],
                data=_talk_input(data),
                acknowledged=data["acknowledge"],
            )
        )
        return Response(TalkOutput(talk).data, status=status.HTTP_201_CREATED)


class TalkDetailApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=TalkOutput)
    def get(self, request: Request, talk_id: int) -> Response:
        actor = actor_of(request)
        talk = selectors.talk_get(actor, talk_id)
        _log(request, actor, {talk.pupil_id}, "talks.talk.detail", f"talk:{talk.pk}")
        return Response(TalkOutput(talk).data)

    @extend_schema(request=TalkInputSerializer, responses=TalkOutput)
    def put(self, request: Request, talk_id: int) -> Response:
        actor = actor_of(request)
        talk = selectors.talk_get(actor, talk_id)
        data = _parse(TalkInputSerializer, request)
        talk = _value_errors(
            lambda: talk_services.talk_update(
                actor=actor, talk=talk, data=_talk_input(data), acknowledged=data["acknowledge"]
            )
        )
        return Response(TalkOutput(talk).data)


class TalkPublishApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=None, responses=TalkOutput)
    def post(self, request: Request, talk_id: int) -> Response:
        actor = actor_of(request)
        talk = talk_services.talk_publish(actor=actor, talk=selectors.talk_get(actor, talk_id))
        return Response(TalkOutput(talk).data)


class AgreementInput(serializers.Serializer):
    text = serializers.CharField()
    responsible = serializers.ChoiceField(choices=TalkAgreement.Responsible.choices)
    follow_up_on = serializers.DateField(required=False, allow_null=True)
    acknowledge = serializers.BooleanField(required=False, default=False)


class FollowUpInput(serializers.Serializer):
    note = serializers.CharField()
    acknowledge = serializers.BooleanField(required=False, default=False)


class TalkAgreementApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=AgreementInput, responses={201: AgreementOutput})
    def post(self, request: Request, talk_id: int) -> Response:
        actor = actor_of(request)
        talk = selectors.talk_get(actor, talk_id)
        data = _parse(AgreementInput, request)
        agreement = talk_services.agreement_add(
            actor=actor,
            talk=talk,
            text=data["text"],
            responsible=data["responsible"],
            follow_up_on=data.get("follow_up_on"),
            acknowledged=data["acknowledge"],
        )
        return Response(AgreementOutput(agreement).data, status=status.HTTP_201_CREATED)


class TalkFollowUpApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=FollowUpInput, responses=AgreementOutput)
    def post(self, request: Request, talk_id: int, agreement_id: int) -> Response:
        actor = actor_of(request)
        talk = selectors.talk_get(actor, talk_id)
        agreement = talk.agreements.get(pk=agreement_id)
        data = _parse(FollowUpInput, request)
        agreement = talk_services.agreement_follow_up(
            actor=actor, agreement=agreement, note=data["note"], acknowledged=data["acknowledge"]
        )
        return Response(AgreementOutput(agreement).data)


class TemplateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    organisation_id = serializers.IntegerField(allow_null=True)
    sections = serializers.ListField(child=serializers.DictField())


class TemplateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    organisation_id = serializers.IntegerField(required=False, allow_null=True)
    sections = serializers.ListField(child=serializers.DictField())


class TalkTemplateApi(APIView):
    """Templates hold no pupil data: any signed-in staff member reads them."""

    permission_classes = PERMISSIONS

    @extend_schema(responses=TemplateOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(TemplateOutput(selectors.talk_template_list(), many=True).data)

    @extend_schema(request=TemplateInput, responses={201: TemplateOutput})
    def post(self, request: Request) -> Response:
        data = _parse(TemplateInput, request)
        template = _value_errors(
            lambda: talk_services.talk_template_create(
                actor=actor_of(request),
                organisation_id=data.get("organisation_id"),
                title=data["title"],
                sections=data["sections"],
            )
        )
        return Response(TemplateOutput(template).data, status=status.HTTP_201_CREATED)


# --- IUPs --------------------------------------------------------------------------------------


class SubjectSerializer(serializers.Serializer):
    subject_code = serializers.CharField(max_length=30)
    curriculum_version = serializers.CharField(max_length=20, required=False, allow_blank=True)
    level = serializers.CharField(max_length=30, required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)


class IUPOutput(serializers.Serializer):
    id = serializers.IntegerField()
    pupil_id = serializers.IntegerField()
    term = serializers.CharField()
    school_year = serializers.IntegerField(allow_null=True)
    goals = serializers.CharField()
    measures = serializers.CharField()
    subjects = SubjectSerializer(many=True)
    published_at = serializers.DateTimeField(allow_null=True)
    current_version = serializers.IntegerField()


class IUPInputSerializer(serializers.Serializer):
    pupil_id = serializers.IntegerField(required=False)
    term = serializers.RegexField(r"^(HT|VT)\d{4}$|^\d{4}/\d{2}$", max_length=10)
    school_year = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    goals = serializers.CharField(required=False, allow_blank=True)
    measures = serializers.CharField(required=False, allow_blank=True)
    subjects = SubjectSerializer(many=True, required=False)
    acknowledge = serializers.BooleanField(required=False, default=False)


def _iup_input(data: dict[str, Any]) -> iup_services.IUPInput:
    return iup_services.IUPInput(
        term=data["term"],
        school_year=data.get("school_year"),
        goals=data.get("goals", ""),
        measures=data.get("measures", ""),
        subjects=tuple(iup_services.SubjectInput(**s) for s in data.get("subjects", [])),
    )


class IUPListApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(parameters=[OpenApiParameter("pupil", int)], responses=IUPOutput(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        paginator = PageNumberPagination()
        iups = selectors.iup_list(actor, pupil_id=_pupil_filter(request))
        page: list[IUP] = paginator.paginate_queryset(iups, request, view=self) or []
        _log(request, actor, {i.pupil_id for i in page}, "talks.iup.list")
        return paginator.get_paginated_response(IUPOutput(page, many=True).data)

    @extend_schema(request=IUPInputSerializer, responses={201: IUPOutput})
    def post(self, request: Request) -> Response:
        data = _parse(IUPInputSerializer, request)
        if "pupil_id" not in data:
            raise ValidationError({"pupil_id": "This field is required."})
        if IUP.objects.filter(pupil_id=data["pupil_id"], term=data["term"]).exists():
            raise ValidationError({"term": "The pupil already has an IUP for this term."})
        iup = _value_errors(
            lambda: iup_services.iup_create(
                actor=actor_of(request),
                pupil_id=data["pupil_id"],
                data=_iup_input(data),
                acknowledged=data["acknowledge"],
            )
        )
        return Response(IUPOutput(iup).data, status=status.HTTP_201_CREATED)


class IUPDetailApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=IUPOutput)
    def get(self, request: Request, iup_id: int) -> Response:
        actor = actor_of(request)
        iup = selectors.iup_get(actor, iup_id)
        _log(request, actor, {iup.pupil_id}, "talks.iup.detail", f"iup:{iup.pk}")
        return Response(IUPOutput(iup).data)

    @extend_schema(request=IUPInputSerializer, responses=IUPOutput)
    def put(self, request: Request, iup_id: int) -> Response:
        actor = actor_of(request)
        iup = selectors.iup_get(actor, iup_id)
        data = _parse(IUPInputSerializer, request)
        iup = _value_errors(
            lambda: iup_services.iup_update(
                actor=actor, iup=iup, data=_iup_input(data), acknowledged=data["acknowledge"]
            )
        )
        return Response(IUPOutput(iup).data)


class IUPPublishApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=None, responses=IUPOutput)
    def post(self, request: Request, iup_id: int) -> Response:
        actor = actor_of(request)
        iup = iup_services.iup_publish(actor=actor, iup=selectors.iup_get(actor, iup_id))
        return Response(IUPOutput(iup).data)

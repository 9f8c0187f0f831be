"""The text guard over HTTP.

- ``POST /api/v1/text-guard/check`` and ``GET /api/v1/text-guard/rules``: school staff and
  administrators (second factor verified), for live checking while typing and for showing the
  controller's written rules where text is entered. Nothing is stored, nothing is logged: the
  caller sends the text and gets back positions in it.
- ``/api/v1/text-guard/lexicon`` (GET, POST), ``/lexicon/<id>`` (PATCH) and
  ``/api/v1/text-guard/statistics``: municipality administrators with a verified second factor.
  Statistics are counts per school and category, never texts or people.

``text_guard_response`` turns ``TextGuardFindings`` raised by any service into HTTP 422
``{"code": "text_guard", "findings": [...]}`` (hooked into core.api.exception_handler).
"""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsMunicipalityAdmin
from accounts.policy import HasSecondFactor
from documentation.textguard.inflection import INFLECTIONS
from documentation.textguard.lexicon_sv import DEFAULT_SUGGESTIONS, RULES, SHIPPED_BY_LEMMA
from documentation.textguard.matcher import Finding, fold
from documentation.textguard.models import COUNT_FIELDS, Category, LexiconEntry
from documentation.textguard.selectors import (
    acknowledgement_statistics,
    lexicon_entry_get,
    lexicon_entry_list,
    lexicon_version_get,
    shipped_lexicon,
)
from documentation.textguard.services import (
    TextGuardFindings,
    lexicon_entry_create,
    lexicon_entry_update,
    text_check,
)

MAX_FIELDS = 50
MAX_TEXT = 100_000


def text_guard_response(exc: Exception) -> Response | None:
    """HTTP 422 for ``TextGuardFindings``; None for any other exception."""
    if not isinstance(exc, TextGuardFindings):
        return None
    return Response(
        {"code": "text_guard", "findings": [finding.as_dict() for finding in exc.findings]},
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


class IsStaffOrAdmin(BasePermission):
    """People who write documentation (school staff) or administer the lexicon."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and (
                getattr(user, "is_school_staff", False)
                or getattr(user, "is_municipality_admin", False)
            )
        )


# --- Checking -----------------------------------------------------------------------------


class FindingOutput(serializers.Serializer):
    field = serializers.CharField()
    start = serializers.IntegerField(help_text="Index of the first character (code points).")
    end = serializers.IntegerField(help_text="Index after the last character.")
    text = serializers.CharField(help_text="The matched words, as written.")
    category = serializers.ChoiceField(choices=Category.choices)
    suggestion = serializers.CharField(help_text="What to write instead (Swedish).")


class CheckInput(serializers.Serializer):
    texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_TEXT),
        help_text='Field name → text, e.g. {"summary": "..."}.',
    )

    def validate_texts(self, texts: dict[str, str]) -> dict[str, str]:
        if len(texts) > MAX_FIELDS or any(len(str(name)) > 100 for name in texts):
            raise serializers.ValidationError(
                _("At most %(max)d fields with names of up to 100 characters.")
                % {"max": MAX_FIELDS}
            )
        return texts


class CheckOutput(serializers.Serializer):
    findings = FindingOutput(many=True)


class TextCheckApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsStaffOrAdmin, HasSecondFactor]

    @extend_schema(request=CheckInput, responses=CheckOutput)
    def post(self, request: Request) -> Response:
        form = CheckInput(data=request.data)
        form.is_valid(raise_exception=True)
        findings: list[Finding] = text_check(texts=form.validated_data["texts"])
        return Response({"findings": [finding.as_dict() for finding in findings]})


class RulesOutput(serializers.Serializer):
    rules = serializers.ListField(child=serializers.CharField())
    suggestions = serializers.DictField(child=serializers.CharField())


class TextGuardRulesApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsStaffOrAdmin, HasSecondFactor]

    @extend_schema(responses=RulesOutput)
    def get(self, request: Request) -> Response:
        return Response({"rules": list(RULES), "suggestions": DEFAULT_SUGGESTIONS})


# --- The municipality's lexicon --------------------------------------------------------------


class LexiconEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    lemma = serializers.CharField()
    forms = serializers.ListField(child=serializers.CharField())
    category = serializers.CharField()
    suggestion = serializers.CharField(help_text="Blank: the category's shipped suggestion.")
    enabled = serializers.BooleanField()
    replaces_shipped = serializers.SerializerMethodField()
    added_by = serializers.CharField(source="added_by.username", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_by = serializers.CharField(source="updated_by.username", allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_replaces_shipped(self, entry: LexiconEntry) -> bool:
        return fold(entry.lemma) in SHIPPED_BY_LEMMA


class ShippedEntryOutput(serializers.Serializer):
    lemma = serializers.CharField()
    category = serializers.CharField()
    forms = serializers.ListField(child=serializers.CharField())
    suggestion = serializers.CharField()
    match_case = serializers.BooleanField()
    overridden_by = serializers.IntegerField(
        allow_null=True, help_text="The municipality's entry that replaces this one."
    )


class LexiconOutput(serializers.Serializer):
    version = serializers.IntegerField()
    entries = LexiconEntryOutput(many=True)
    shipped = ShippedEntryOutput(many=True)


class LexiconEntryChangeInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    forms = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=60
    )
    inflect = serializers.ChoiceField(
        choices=sorted(INFLECTIONS),
        required=False,
        help_text="Adds the regular forms of the lemma: adjective (lat → lata, latare, ...) or "
        "verb_a (skolka → skolkar, skolkade, ...).",
    )
    suggestion = serializers.CharField(max_length=300, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class LexiconEntryInput(LexiconEntryChangeInput):
    lemma = serializers.CharField(max_length=100)
    enabled = serializers.BooleanField(default=True)


AdminWithSecondFactor = [IsMunicipalityAdmin, HasSecondFactor]


class LexiconApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = AdminWithSecondFactor

    @extend_schema(responses=LexiconOutput)
    def get(self, request: Request) -> Response:
        counter, _token = lexicon_version_get()
        entries = list(lexicon_entry_list())
        return Response(
            {
                "version": counter,
                "entries": LexiconEntryOutput(entries, many=True).data,
                "shipped": ShippedEntryOutput(shipped_lexicon(entries), many=True).data,
            }
        )

    @extend_schema(request=LexiconEntryInput, responses={201: LexiconEntryOutput})
    def post(self, request: Request) -> Response:
        form = LexiconEntryInput(data=request.data)
        form.is_valid(raise_exception=True)
        entry = lexicon_entry_create(added_by=cast(User, request.user), **form.validated_data)
        return Response(LexiconEntryOutput(entry).data, status=status.HTTP_201_CREATED)


class LexiconEntryApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = AdminWithSecondFactor

    @extend_schema(request=LexiconEntryChangeInput, responses=LexiconEntryOutput)
    def patch(self, request: Request, entry_id: int) -> Response:
        entry = lexicon_entry_get(entry_id)
        form = LexiconEntryChangeInput(data=request.data)
        form.is_valid(raise_exception=True)
        entry = lexicon_entry_update(
            entry=entry, updated_by=cast(User, request.user), **form.validated_data
        )
        return Response(LexiconEntryOutput(lexicon_entry_get(entry.pk)).data)


# --- Statistics -------------------------------------------------------------------------------


class StatisticsFilter(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="First day (inclusive).")
    until = serializers.DateField(required=False, help_text="Last day (inclusive).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": _("The last day is before the first.")})
        return attrs


class CategoryCountsOutput(serializers.Serializer):
    acknowledgements = serializers.IntegerField()
    findings = serializers.IntegerField()


class SchoolStatisticsOutput(serializers.Serializer):
    organisation_id = serializers.IntegerField(allow_null=True)
    organisation = serializers.CharField(help_text="The school's name; blank: no school.")
    acknowledgements = serializers.IntegerField()
    categories = serializers.DictField(child=CategoryCountsOutput())


class StatisticsOutput(serializers.Serializer):
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    schools = SchoolStatisticsOutput(many=True)
    total = SchoolStatisticsOutput()


class TextGuardStatisticsApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = AdminWithSecondFactor

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="First day (YYYY-MM-DD), inclusive."),
            OpenApiParameter("until", str, description="Last day (YYYY-MM-DD), inclusive."),
        ],
        responses=StatisticsOutput,
    )
    def get(self, request: Request) -> Response:
        form = StatisticsFilter(data=request.query_params)
        form.is_valid(raise_exception=True)
        since, until = form.validated_data.get("since"), form.validated_data.get("until")
        schools = acknowledgement_statistics(since=since, until=until)
        total = {
            "organisation_id": None,
            "organisation": "",
            "acknowledgements": sum(school["acknowledgements"] for school in schools),
            "categories": {
                field: {
                    key: sum(school["categories"][field][key] for school in schools)
                    for key in ("acknowledgements", "findings")
                }
                for field in COUNT_FIELDS
            },
        }
        return Response(
            StatisticsOutput(
                {"since": since, "until": until, "schools": schools, "total": total}
            ).data
        )

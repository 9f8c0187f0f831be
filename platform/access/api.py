"""Pupil and group endpoints. Every response that carries pupil data writes one read-log entry."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.policy import Actor, access_group_by_id, actor_for, group_members, visible_groups
from access.readlog.services import access_log_record
from access.selectors import pupil_detail, pupil_list
from accounts.policy import HasSecondFactor
from register.models import Group, Person

# Roles that need the whole civic number (to tell people apart when administering the register).
FULL_CIVIC_NUMBER_RELATIONS = frozenset({"municipality_admin", "school_admin"})


def actor_of(request: Request) -> Actor:
    return actor_for(request.user)  # type: ignore[arg-type]


def role_of(pupils: list[Person]) -> str:
    """The role under which the actor read: the relations that allowed it, joined (the entry's
    ``relations`` has the exact relation per pupil)."""
    joined = ",".join(sorted({p.relation for p in pupils})) or "none"  # type: ignore[attr-defined]
    return joined if len(joined) <= 32 else "mixed"


def log_read(
    request: Request, pupils: list[Person], *, resource: str, object_ref: str = ""
) -> None:
    access_log_record(
        actor=request.user,  # type: ignore[arg-type]
        actor_role=role_of(pupils),
        pupils={p.pk: p.relation for p in pupils},  # type: ignore[attr-defined]
        resource=resource,
        object_ref=object_ref,
        request=request,
    )


class EnrolmentOutput(serializers.Serializer):
    school_unit = serializers.CharField(source="school_unit.display_name")
    school_unit_code = serializers.CharField(source="school_unit.school_unit_code")
    school_type = serializers.CharField()
    school_year = serializers.IntegerField(allow_null=True)


class PupilOutput(serializers.Serializer):
    id = serializers.IntegerField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    civic_no = serializers.SerializerMethodField()
    relation = serializers.CharField(help_text="The relation that lets you see this pupil.")
    enrolments = EnrolmentOutput(many=True, source="current_enrolments")

    def get_civic_no(self, pupil: Person) -> str:
        if pupil.relation in FULL_CIVIC_NUMBER_RELATIONS:  # type: ignore[attr-defined]
            return pupil.civic_no
        return pupil.masked_civic_no


class GroupRefOutput(serializers.Serializer):
    id = serializers.IntegerField(source="group.id")
    name = serializers.CharField(source="group.display_name")
    group_type = serializers.CharField(source="group.group_type")


class ResponsibleOutput(serializers.Serializer):
    given_name = serializers.CharField(source="guardian.given_name")
    family_name = serializers.CharField(source="guardian.family_name")
    relation_type = serializers.CharField()


class PupilDetailOutput(PupilOutput):
    groups = GroupRefOutput(many=True, source="current_memberships")
    responsibles = ResponsibleOutput(many=True, source="contactable_responsibles")


class PupilListApi(APIView):
    permission_classes = [IsAuthenticated, HasSecondFactor]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Search by name")],
        responses=PupilOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        search = str(request.query_params.get("q", ""))[:100]
        paginator = PageNumberPagination()
        page: list[Person] = (
            paginator.paginate_queryset(
                pupil_list(actor_of(request), search=search), request, view=self
            )
            or []
        )
        log_read(request, page, resource="pupil.list", object_ref=f"q={search}" if search else "")
        return paginator.get_paginated_response(PupilOutput(page, many=True).data)


class PupilDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasSecondFactor]

    @extend_schema(responses=PupilDetailOutput)
    def get(self, request: Request, pupil_id: int) -> Response:
        pupil = pupil_detail(actor_of(request), pupil_id)
        log_read(request, [pupil], resource="pupil.detail", object_ref=f"pupil:{pupil.pk}")
        return Response(PupilDetailOutput(pupil).data)


class GroupOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    group_type = serializers.CharField()
    school_type = serializers.CharField()
    organisation = serializers.CharField(source="organisation.display_name")


class MemberOutput(serializers.Serializer):
    id = serializers.IntegerField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    relation = serializers.CharField()


class GroupDetailOutput(GroupOutput):
    members = serializers.SerializerMethodField()

    def get_members(self, group: Group) -> list[dict[str, Any]]:
        return MemberOutput(self.context["members"], many=True).data  # type: ignore[return-value]


class GroupListApi(APIView):
    """Groups whose member lists I may open (no pupil data here: names of groups only)."""

    permission_classes = [IsAuthenticated, HasSecondFactor]

    @extend_schema(responses=GroupOutput(many=True))
    def get(self, request: Request) -> Response:
        groups: QuerySet[Group] = (
            visible_groups(actor_of(request))
            .select_related("organisation")
            .order_by("display_name", "pk")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(groups, request, view=self) or []
        return paginator.get_paginated_response(GroupOutput(page, many=True).data)


class GroupDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasSecondFactor]

    @extend_schema(responses=GroupDetailOutput)
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        group = access_group_by_id(actor, group_id)
        members = list(group_members(actor, group))
        log_read(request, members, resource="group.members", object_ref=f"group:{group.pk}")
        return Response(GroupDetailOutput(group, context={"members": members}).data)

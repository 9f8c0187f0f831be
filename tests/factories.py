from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from register import models as register
from register.civic_numbers import luhn_check_digit
from register.models.choices import (
    DutyRole,
    GroupType,
    OrganisationType,
    RelationType,
    SecurityMarking,
)
from register.services.organisations import organisation_refresh_lineage


class UserFactory(factory.django.DjangoModelFactory):
    """A user in whatever schema the connection is in (wrap in schema_context)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


# --- Register data (tenant schema) ---------------------------------------------------------------

LONG_AGO = dt.date(2020, 8, 1)


def synthetic_personnummer(n: int, *, year: int = 2012) -> str:
    """A checksum-valid number made up by a counter (never copied from a real person)."""
    month, day = 1 + n % 12, 1 + n % 28
    body = f"{year % 100:02d}{month:02d}{day:02d}9{n % 100:02d}"
    return f"{year // 100}{body}{luhn_check_digit(body)}"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.Organisation
        skip_postgeneration_save = True

    display_name = factory.Sequence(lambda n: f"Skolenhet {n}")
    organisation_type = OrganisationType.SKOLENHET
    school_unit_code = factory.Sequence(lambda n: f"{10000000 + n}")

    @factory.post_generation
    def lineage_refreshed(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            organisation_refresh_lineage(organisation=obj)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.Person

    given_name = factory.Faker("first_name", locale="sv_SE")
    family_name = factory.Faker("last_name", locale="sv_SE")
    civic_no = factory.Sequence(synthetic_personnummer)
    civic_no_kind = "personnummer"
    security_marking = SecurityMarking.NONE


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.Enrolment

    person = factory.SubFactory(PersonFactory)
    school_unit = factory.SubFactory(OrganisationFactory)
    school_type = "GR"
    school_year = 5
    start_date = LONG_AGO


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.Group

    display_name = factory.Sequence(lambda n: f"Grupp {n}")
    group_type = GroupType.CLASS
    school_type = "GR"
    organisation = factory.SubFactory(OrganisationFactory)
    start_date = LONG_AGO


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.GroupMembership

    group = factory.SubFactory(GroupFactory)
    person = factory.SubFactory(PersonFactory)
    start_date = LONG_AGO


class DutyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.Duty

    person = factory.SubFactory(PersonFactory)
    duty_at = factory.SubFactory(OrganisationFactory)
    duty_role = DutyRole.TEACHER
    start_date = LONG_AGO


class AssignmentRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.AssignmentRole

    duty = factory.SubFactory(DutyFactory)
    group = factory.SubFactory(GroupFactory)
    role_type = "Mentor"
    start_date = LONG_AGO


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.Activity
        skip_postgeneration_save = True

    display_name = factory.Sequence(lambda n: f"Aktivitet {n}")
    activity_type = "Undervisning"
    organisation = factory.SubFactory(OrganisationFactory)
    subject_code = "GRGRMAT01"
    start_date = LONG_AGO

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            obj.groups.set(extracted)


class ActivityTeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.ActivityTeacher

    activity = factory.SubFactory(ActivityFactory)
    duty = factory.SubFactory(DutyFactory)
    start_date = LONG_AGO


class ResponsibleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = register.Responsible

    pupil = factory.SubFactory(PersonFactory)
    guardian = factory.SubFactory(
        PersonFactory, civic_no=factory.Sequence(lambda n: synthetic_personnummer(n, year=1985))
    )
    relation_type = RelationType.GUARDIAN

"""Accounts follow the register: created, updated and deactivated by person_account_sync only."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from municipal.models import MunicipalSettings
from register.models import Email, Person
from register.services.accounts import person_account_sync
from tests.conftest import TENANT_A, TENANT_B
from tests.factories import (
    DutyFactory,
    EnrolmentFactory,
    PersonFactory,
    ResponsibleFactory,
)


@pytest.fixture
def in_a(tenant_a: object):  # type: ignore[no-untyped-def]
    with schema_context(TENANT_A.slug):
        yield


def staff_person() -> Person:
    person = PersonFactory(given_name="Åsa", family_name="Lärare")
    Email.objects.create(person=person, value="Asa.Larare@ale.example", type="Skola personal")
    DutyFactory(person=person)
    return person


def test_staff_get_an_active_staff_account_named_by_their_school_email(in_a: None) -> None:
    user = person_account_sync(person=staff_person())
    assert user is not None
    assert (user.username, user.first_name, user.is_active, user.is_school_staff) == (
        "asa.larare@ale.example",
        "Åsa",
        True,
        True,
    )
    assert not user.has_usable_password()


@pytest.mark.parametrize(("school_year", "has_account"), [(3, False), (4, True), (9, True)])
def test_pupils_sign_in_from_the_municipalitys_school_year(
    in_a: None, school_year: int, has_account: bool
) -> None:
    pupil = PersonFactory()
    EnrolmentFactory(person=pupil, school_year=school_year)
    assert (person_account_sync(person=pupil) is not None) == has_account


def test_guardians_get_accounts_only_for_counted_relations(in_a: None) -> None:
    child = PersonFactory()
    EnrolmentFactory(person=child, school_year=1)
    custody = ResponsibleFactory(pupil=child, relation_type="Vårdnadshavare").guardian
    other = ResponsibleFactory(pupil=child, relation_type="Annan ansvarig").guardian
    assert person_account_sync(person=custody) is not None
    assert person_account_sync(person=other) is None
    assert User.objects.count() == 1


def test_only_the_school_forms_in_use_give_pupils_and_guardians_accounts(in_a: None) -> None:
    # Given a municipality that uses Lärspår for compulsory school only
    MunicipalSettings.objects.update_or_create(id=1, defaults={"school_forms": ["GR"]})
    compulsory, upper_secondary = PersonFactory(), PersonFactory()
    EnrolmentFactory(person=compulsory, school_type="GR", school_year=7)
    EnrolmentFactory(person=upper_secondary, school_type="GY", school_year=None)
    parent_of_compulsory = ResponsibleFactory(pupil=compulsory).guardian
    parent_of_upper_secondary = ResponsibleFactory(pupil=upper_secondary).guardian
    teacher = staff_person()
    # When their accounts are synced with the register
    synced = {
        name: person_account_sync(person=person) is not None
        for name, person in [
            ("compulsory", compulsory),
            ("upper_secondary", upper_secondary),
            ("parent_of_compulsory", parent_of_compulsory),
            ("parent_of_upper_secondary", parent_of_upper_secondary),
            ("teacher", teacher),
        ]
    }
    # Then only the compulsory-school pupil and their guardian get one; staff are not affected
    assert synced == {
        "compulsory": True,
        "upper_secondary": False,
        "parent_of_compulsory": True,
        "parent_of_upper_secondary": False,
        "teacher": True,
    }


def test_leaving_the_register_deactivates_and_returning_reactivates(in_a: None) -> None:
    person = staff_person()
    user = person_account_sync(person=person)
    person.removed_at = timezone.now()
    person.save()
    user = person_account_sync(person=person)
    assert user is not None
    assert (user.is_active, user.deactivated_by_register_at is not None) == (False, True)
    person.removed_at = None
    person.save()
    user = person_account_sync(person=person)
    assert user is not None
    assert (user.is_active, user.deactivated_by_register_at) == (True, None)


def test_an_administrators_deactivation_is_never_undone_by_the_register(in_a: None) -> None:
    person = staff_person()
    user = person_account_sync(person=person)
    assert user is not None
    User.objects.filter(pk=user.pk).update(is_active=False)
    person.refresh_from_db()
    assert person_account_sync(person=person).is_active is False  # type: ignore[union-attr]


def test_accounts_live_in_the_persons_municipality_only(tenant_a: object) -> None:
    with schema_context(TENANT_A.slug):
        person_account_sync(person=staff_person())
    with schema_context(TENANT_B.slug):
        assert not User.objects.filter(username="asa.larare@ale.example").exists()


def test_the_user_name_is_the_first_address_of_the_roles_kind_then_any_then_the_register_id(
    in_a: None,
) -> None:
    # Given staff with a work address (alphabetically first) and two school staff addresses
    staff = PersonFactory()
    DutyFactory(person=staff)
    for value, kind in [
        ("a.work@ale.example", "Arbete övrigt"),
        ("Z.Staff@ale.example", "Skola personal"),
        ("Y.Staff@ale.example", "Skola personal"),
    ]:
        Email.objects.create(person=staff, value=value, type=kind)
    # And staff with only a work address, a pupil with only a private one and one with none
    worker = PersonFactory()
    DutyFactory(person=worker)
    Email.objects.create(person=worker, value="W.Work@ale.example", type="Arbete övrigt")
    private_pupil = PersonFactory()
    EnrolmentFactory(person=private_pupil, school_year=7)
    Email.objects.create(person=private_pupil, value="P.Home@ale.example", type="Privat")
    bare_pupil = PersonFactory()
    EnrolmentFactory(person=bare_pupil, school_year=7)
    # When their accounts are created
    names = [
        person_account_sync(person=p).username  # type: ignore[union-attr]
        for p in (staff, worker, private_pupil, bare_pupil)
    ]
    # Then school staff addresses come first (the first of them, lower-cased), then work, then
    # any address, and without one the register id
    assert names == [
        "y.staff@ale.example",
        "w.work@ale.example",
        "p.home@ale.example",
        str(bare_pupil.source_id),
    ]

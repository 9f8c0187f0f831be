"""The demo seed (`make demo`): idempotent, and every login it prints really signs in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from deploy.demo_seed import DEMO_OPERATOR_EMAIL, DEMO_PASSWORD, MunicipalitySpec, seed_demo
from tenants.models import Municipality, MunicipalityStatus
from tenants.services.onboarding import municipality_onboard

# Own slugs, codes and hosts: conftest has onboarded ale, boras and sotenas already.
DEMO_ONE = MunicipalitySpec(
    "Lilla Edets kommun", "1462", "demoone", "demoone.larspar.test", "admin@demoone.example"
)
DEMO_TWO = MunicipalitySpec(
    "Lerums kommun", "1441", "demotwo", "demotwo.larspar.test", "admin@demotwo.example"
)
SPECS = (DEMO_ONE, DEMO_TWO)
REGISTER_ROLES = [
    "Teacher (lärare)",
    "Mentor",
    "Principal (rektor)",
    "Pupil (elev)",
    "Guardian (vårdnadshavare)",
]


@pytest.fixture(autouse=True)
def _small_demo_register(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("deploy.demo_register.DEMO_PUPILS", 120)


def account_counts() -> dict[str, int]:
    counts = {}
    for schema in ("public", DEMO_ONE.slug, DEMO_TWO.slug):
        with schema_context(schema):
            counts[schema] = get_user_model().objects.count()
    return counts


def signs_in(host: str, username: str, password: str) -> bool:
    response = Client(HTTP_HOST=host).post("/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_seeding_twice_changes_nothing_the_second_time(db: None) -> None:
    # Given the demo seeded once
    first = seed_demo(SPECS)
    municipalities = Municipality.objects.count()
    accounts = account_counts()
    # When it is seeded again
    second = seed_demo(SPECS)
    # Then no municipality or account was added, and the second run reports existing accounts
    assert Municipality.objects.count() == municipalities
    assert account_counts() == accounts
    # (the register import made accounts for staff, pupils and guardians)
    assert accounts["public"] == 1
    assert min(accounts[DEMO_ONE.slug], accounts[DEMO_TWO.slug]) > 100
    assert len(first) == 13
    assert all(login.created for login in first)
    assert not any(login.created for login in second)
    assert [(x.host, x.username, x.password) for x in first] == [
        (x.host, x.username, x.password) for x in second
    ]


def test_every_printed_login_signs_in_on_its_host(db: None) -> None:
    # Given the demo seeded
    logins = seed_demo(SPECS)
    # Then the vendor operator and both administrators sign in where the demo says they do
    assert [(x.role, x.host) for x in logins] == [
        ("Vendor operator", "larspar.test"),
        ("Municipality administrator", DEMO_ONE.domain),
        *[(role, DEMO_ONE.domain) for role in REGISTER_ROLES],
        ("Municipality administrator", DEMO_TWO.domain),
        *[(role, DEMO_TWO.domain) for role in REGISTER_ROLES],
    ]
    for login in logins:
        assert login.password == DEMO_PASSWORD
        assert signs_in(login.host, login.username, login.password), login
    # And accepting the onboarding invitation ended onboarding
    statuses = set(
        Municipality.objects.filter(schema_name__in=[s.slug for s in SPECS]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {MunicipalityStatus.ACTIVE}


def test_a_municipality_onboarded_without_its_administrator_gets_one(db: None) -> None:
    # Given a demo municipality onboarded earlier whose invitation was never accepted
    municipality_onboard(**DEMO_ONE.__dict__)
    # When the demo is seeded
    logins = seed_demo([DEMO_ONE])
    # Then its administrator was invited afresh and signs in with the demo password
    admin = logins[1]
    assert (admin.host, admin.username, admin.created) == (
        DEMO_ONE.domain,
        DEMO_ONE.admin_email,
        True,
    )
    assert signs_in(admin.host, admin.username, DEMO_PASSWORD)


def test_a_password_changed_since_is_neither_reset_nor_printed(db: None) -> None:
    # Given a seeded demo whose operator changed the password
    seed_demo(SPECS)
    operator = get_user_model().objects.get(username=DEMO_OPERATOR_EMAIL)
    operator.set_password("another password entirely")
    operator.save()
    # When the demo is seeded again
    logins = seed_demo(SPECS)
    # Then the operator's password is not printed, and not reset
    assert logins[0].password is None
    assert signs_in("larspar.test", DEMO_OPERATOR_EMAIL, "another password entirely")


def test_the_demo_school_has_living_documentation(db: None) -> None:
    from documentation.assessments.models import SummativeAssessment
    from documentation.plans.models import FormativeEntry, PedagogicalPlan
    from documentation.talks.models import IUP, DevelopmentTalk

    seed_demo(SPECS)
    for spec in SPECS:
        with schema_context(spec.slug):
            assert PedagogicalPlan.objects.filter(published_at__isnull=False).count() == 1
            assert FormativeEntry.objects.count() == 2
            assert SummativeAssessment.objects.count() >= 3
            assert DevelopmentTalk.objects.filter(published_at__isnull=False).count() == 1
            assert IUP.objects.filter(published_at__isnull=False).count() == 1

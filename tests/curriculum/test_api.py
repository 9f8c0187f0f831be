"""The read-only curriculum API on municipality hosts: one platform-wide copy, read by all."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from access.readlog.models import AccessLogEntry
from curriculum.models import CentralContent
from tests.accounts.support import make_user, sign_in
from tests.conftest import TENANT_A, TENANT_B
from tests.curriculum.support import grgrmat01, import_payloads, mat, new_version

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/v1/curriculum/subjects"


@pytest.fixture
def syllabi() -> None:
    """GRGRMAT01 v14 (current) and v15 (from 2099), MAT v11 with a course."""
    import_payloads(grgrmat01(), new_version(grgrmat01(), 15, startDate="2099-07-01"), mat())


def teacher_client(host: str, schema: str, username: str = "teacher") -> Client:
    """A teacher, signed in with a password only (no second factor: no pupil data here)."""
    make_user(schema, username=username, is_school_staff=True)
    client = Client(HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE="en")
    assert sign_in(client, username).status_code == 302
    return client


@pytest.fixture
def client_teacher_a(tenant_a: object) -> Client:
    return teacher_client(TENANT_A.domain, TENANT_A.slug)


def get(client: Client, path: str, **params: Any) -> Any:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.usefixtures("syllabi")
def test_the_list_gives_current_versions(client_teacher_a: Client) -> None:
    # Given v14 current and v15 starting in 2099
    # When a teacher lists the subjects
    body = get(client_teacher_a, SUBJECTS)
    # Then each subject appears once, at the version valid today
    assert [(s["code"], s["version"]) for s in body["results"]] == [("GRGRMAT01", 14), ("MAT", 11)]
    gr = body["results"][0]
    assert gr["school_type"] == "GR"
    assert gr["school_types"] == ["GR", "SAM"]
    assert gr["curriculum"] == "LGR22"
    assert gr["valid_from"] == "2022-07-01"
    gy = body["results"][1]
    assert gy["courses"] == [
        {"code": "MATMAT01c", "version": 11, "name": "Matematik 1c", "points": 100},
        {"code": "MATMAT02c", "version": 11, "name": "Matematik 2c", "points": 100},
    ]


@pytest.mark.usefixtures("syllabi")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"school_type": "GR"}, [("GRGRMAT01", 14)]),
        ({"school_type": "gy"}, [("MAT", 11)]),
        ({"q": "mat"}, [("GRGRMAT01", 14), ("MAT", 11)]),
        ({"q": "grgr"}, [("GRGRMAT01", 14)]),
        ({"q": "1c"}, [("MAT", 11)]),  # a course's name
        ({"school_type": "GR", "q": "mat"}, [("GRGRMAT01", 14)]),
        ({"q": "svenska"}, []),
        ({"on": "2099-08-01"}, [("GRGRMAT01", 15), ("MAT", 11)]),
        ({"on": "2020-01-01"}, []),
        ({"version": "15"}, [("GRGRMAT01", 15)]),
        ({"version": "all", "q": "grgr"}, [("GRGRMAT01", 14), ("GRGRMAT01", 15)]),
    ],
)
def test_the_list_filters(
    client_teacher_a: Client, params: dict[str, str], expected: list[tuple[str, int]]
) -> None:
    body = get(client_teacher_a, SUBJECTS, **params)
    assert [(s["code"], s["version"]) for s in body["results"]] == expected


@pytest.mark.usefixtures("syllabi")
@pytest.mark.parametrize("params", [{"on": "2024-13-01"}, {"version": "x"}, {"version": "-1"}])
def test_bad_parameters_are_400(client_teacher_a: Client, params: dict[str, str]) -> None:
    assert client_teacher_a.get(SUBJECTS, params).status_code == 400


@pytest.mark.usefixtures("syllabi")
def test_the_detail_has_content_and_criteria_with_their_keys(client_teacher_a: Client) -> None:
    # When a teacher opens GRGRMAT01
    body = get(client_teacher_a, f"{SUBJECTS}/GRGRMAT01")
    # Then it is the current version, with its central content and criteria in order
    assert (body["code"], body["version"], body["name"]) == ("GRGRMAT01", 14, "Matematik")
    assert body["description"] == "Testtext om ämnet & dess historia."
    content = body["central_content"]
    assert [(c["position"], c["year_span"]) for c in content] == [
        (1, "1-3"),
        (2, "1-3"),
        (3, "1-3"),
        (4, "7-9"),
        (5, "7-9"),
    ]
    first = content[0]
    assert first["section"] == "Taluppfattning och tals användning"
    assert first["text"] == "Naturliga tal och hur de används för antal."
    assert (first["code"], first["version"]) == ("GRGRMAT01", 14)
    assert first["key"].startswith("cc.1-3.")
    keys = [(r["key"], r["grade_step"]) for r in body["knowledge_requirements"]]
    assert keys == [("kr.3.acceptable", ""), ("kr.6.E", "E"), ("kr.6.D", "D"), ("kr.9.E", "E")]
    # And every version held is listed, newest first
    assert [v["version"] for v in body["versions"]] == [15, 14]


@pytest.mark.usefixtures("syllabi")
def test_the_detail_of_a_gy_subject_has_its_courses(client_teacher_a: Client) -> None:
    body = get(client_teacher_a, f"{SUBJECTS}/MAT")
    assert body["central_content"] == []
    course = body["courses"][0]
    assert (course["code"], course["version"], course["points"]) == ("MATMAT01c", 11, 100)
    assert [c["section"] for c in course["central_content"]] == [
        "Taluppfattning, aritmetik och algebra",
        "Taluppfattning, aritmetik och algebra",
        "Sannolikhet och statistik",
    ]
    assert {c["code"] for c in course["central_content"]} == {"MATMAT01c"}
    assert [k["key"] for k in course["knowledge_requirements"]] == ["kr.E", "kr.D", "kr.C"]


@pytest.mark.usefixtures("syllabi")
def test_the_detail_by_version_or_date(client_teacher_a: Client) -> None:
    assert get(client_teacher_a, f"{SUBJECTS}/GRGRMAT01", version="15")["version"] == 15
    assert get(client_teacher_a, f"{SUBJECTS}/GRGRMAT01", on="2099-07-01")["version"] == 15
    for params in ({"version": "16"}, {"on": "2021-01-01"}):
        assert client_teacher_a.get(f"{SUBJECTS}/GRGRMAT01", params).status_code == 404
    assert client_teacher_a.get(f"{SUBJECTS}/NOPE").status_code == 404


@pytest.mark.usefixtures("syllabi")
def test_retired_items_are_left_out_of_the_detail(client_teacher_a: Client) -> None:
    CentralContent.objects.filter(position=1).update(retired_at=timezone.now())
    body = get(client_teacher_a, f"{SUBJECTS}/GRGRMAT01")
    assert [c["position"] for c in body["central_content"]] == [2, 3, 4, 5]


@pytest.mark.usefixtures("syllabi")
def test_every_municipality_reads_the_same_platform_wide_copy(tenant_b: object) -> None:
    # Given teachers of two municipalities
    client_a = teacher_client(TENANT_A.domain, TENANT_A.slug, "teacher_a")
    client_b = teacher_client(TENANT_B.domain, TENANT_B.slug, "teacher_b")
    # When both open the same subject
    # Then both see the one copy, and no read-log entry is written (no pupil data)
    assert get(client_a, f"{SUBJECTS}/MAT") == get(client_b, f"{SUBJECTS}/MAT")
    for schema in (TENANT_A.slug, TENANT_B.slug):
        with schema_context(schema):
            assert not AccessLogEntry.objects.exists()


@pytest.mark.usefixtures("syllabi")
@pytest.mark.parametrize("path", [SUBJECTS, f"{SUBJECTS}/GRGRMAT01"])
def test_anonymous_requests_are_refused(tenant_a: object, path: str) -> None:
    response = Client(HTTP_HOST=TENANT_A.domain).get(path)
    assert response.status_code == 403
    assert "results" not in response.json()


@pytest.mark.usefixtures("syllabi")
def test_the_platform_host_does_not_serve_it(platform_client: Client) -> None:
    assert platform_client.get(SUBJECTS).status_code == 404


@pytest.mark.usefixtures("syllabi")
def test_an_api_token_is_not_a_signed_in_person(tenant_a: object) -> None:
    # Given an integration token of the municipality (tokens reach only what names their scope)
    from accounts.models import ApiScope
    from accounts.services.api_tokens import api_token_create

    with schema_context(TENANT_A.slug):
        _token, plaintext = api_token_create(
            name="sis", scopes=[ApiScope.REGISTER_READ], created_by=None
        )
    client = Client(HTTP_HOST=TENANT_A.domain, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    # When it asks for the curriculum, then it is refused
    assert client.get(SUBJECTS).status_code == 403

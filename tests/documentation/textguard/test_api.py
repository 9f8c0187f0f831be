"""Live checking for staff, the written rules, and statistics for administrators (counts only)."""

from __future__ import annotations

import copy
import datetime as dt
import json

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from documentation.textguard.lexicon_sv import RULES, SUGGEST_ATTENDANCE, SUGGEST_VALUE
from documentation.textguard.models import Acknowledgement
from documentation.textguard.services import acknowledgement_record, text_check
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.textguard.conftest import acknowledgement_rows, person_client
from tests.factories import OrganisationFactory, UserFactory

CHECK = "/api/v1/text-guard/check"
RULES_URL = "/api/v1/text-guard/rules"
STATISTICS = "/api/v1/text-guard/statistics"


def post_check(client: Client, texts: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(CHECK, {"texts": texts}, content_type="application/json")


# --- Checking ---------------------------------------------------------------------------------


def test_staff_check_text_while_typing(teacher_a: Client) -> None:
    # Given a teacher with a verified second factor, and text that starts with spaces
    texts = {"summary": "  Eleven är lat.", "goals": "Han skolkade.", "empty": ""}
    # When the portal checks it
    response = post_check(teacher_a, texts)
    # Then each finding has its field, exact offsets into the text as sent, and a suggestion
    assert response.status_code == 200
    assert response.json() == {
        "findings": [
            {
                "field": "summary",
                "start": 12,
                "end": 15,
                "text": "lat",
                "category": "value_judgement",
                "suggestion": SUGGEST_VALUE,
            },
            {
                "field": "goals",
                "start": 4,
                "end": 12,
                "text": "skolkade",
                "category": "attendance",
                "suggestion": SUGGEST_ATTENDANCE,
            },
        ]
    }
    assert texts["summary"][12:15] == "lat"


def test_checking_stores_nothing(teacher_a: Client) -> None:
    before = acknowledgement_rows(TENANT_A.slug)
    assert post_check(teacher_a, {"f": "Eleven är lat"}).status_code == 200
    assert acknowledgement_rows(TENANT_A.slug) == before


def test_only_staff_with_a_second_factor_may_check(tenant_a: Municipality) -> None:
    from tests.accounts.support import make_user, sign_in

    # Given a pupil (signed in), a teacher who has not verified a code, and nobody
    _pupil, pupil = person_client(TENANT_A, "pupil-a")
    make_user(TENANT_A.slug, username="unverified", is_school_staff=True)
    unverified = Client(HTTP_HOST=TENANT_A.domain)
    assert sign_in(unverified, "unverified").status_code == 302
    anonymous = Client(HTTP_HOST=TENANT_A.domain)
    # When each checks text or reads the rules
    answers = [post_check(c, {"f": "lat"}) for c in (pupil, unverified, anonymous)]
    answers += [c.get(RULES_URL) for c in (pupil, unverified, anonymous)]
    # Then each is refused
    assert [a.status_code for a in answers] == [403] * 6


def test_a_session_of_a_is_unknown_at_b(teacher_a: Client, client_b: Client) -> None:
    client_b.cookies = teacher_a.cookies
    assert post_check(client_b, {"f": "Eleven är lat"}).status_code == 403
    assert client_b.get(RULES_URL).status_code == 403


def test_too_many_fields_are_refused(teacher_a: Client) -> None:
    response = post_check(teacher_a, {f"f{i}": "text" for i in range(51)})
    assert response.status_code == 400
    assert "texts" in response.json()


def test_the_written_rules_are_given_where_text_is_entered(teacher_a: Client) -> None:
    body = teacher_a.get(RULES_URL).json()
    assert body["rules"] == list(RULES)
    assert any("personliga egenskaper" in rule for rule in body["rules"])
    assert any("Skola24" in rule for rule in body["rules"])
    assert set(body["suggestions"]) == {"value_judgement", "offensive", "attendance", "health"}


# --- Statistics -------------------------------------------------------------------------------


def acknowledge(schema: str, text: str, *, school_id: int | None, days_ago: int = 0) -> None:
    with schema_context(schema):
        teacher = UserFactory(username="stats-teacher", is_school_staff=True)
        acknowledgement_record(
            user=teacher,
            document_ref="plans.plan:1",
            findings=text_check(texts={"f": text}),
            organisation_id=school_id,
        )
        if days_ago:
            latest = Acknowledgement.objects.order_by("-pk")[0]
            latest.at = timezone.now() - dt.timedelta(days=days_ago)
            latest.save(update_fields=["at"])


def schools(schema: str) -> tuple[int, int]:
    with schema_context(schema):
        north = OrganisationFactory(display_name="Norra skolan")
        south = OrganisationFactory(display_name="Södra skolan")
    return north.pk, south.pk


def test_administrators_see_counts_per_school_and_category(admin_a: Client) -> None:
    # Given acknowledgements at two schools and one document without a school
    north, south = schools(TENANT_A.slug)
    acknowledge(TENANT_A.slug, "Eleven är lat och slarvig.", school_id=north)
    acknowledge(TENANT_A.slug, "Han skolkade.", school_id=north)
    acknowledge(TENANT_A.slug, "Hon har ADD.", school_id=south)
    acknowledge(TENANT_A.slug, "Eleven är dum.", school_id=None)
    # When an administrator reads the statistics
    response = admin_a.get(STATISTICS)
    # Then there are counts per school and category
    assert response.status_code == 200
    body = response.json()
    by_school = {s["organisation"]: s for s in body["schools"]}
    assert set(by_school) == {"Norra skolan", "Södra skolan", ""}
    assert by_school["Norra skolan"]["organisation_id"] == north
    assert by_school["Norra skolan"]["acknowledgements"] == 2
    assert by_school["Norra skolan"]["categories"]["value_judgement"] == {
        "acknowledgements": 1,
        "findings": 2,
    }
    assert by_school["Norra skolan"]["categories"]["attendance"] == {
        "acknowledgements": 1,
        "findings": 1,
    }
    assert by_school["Södra skolan"]["categories"]["health"]["findings"] == 1
    assert body["total"]["acknowledgements"] == 4
    assert body["total"]["categories"]["value_judgement"]["findings"] == 3
    # And never the text or the matched words
    raw = json.dumps(body, ensure_ascii=False)
    for word in ("lat", "slarvig", "skolkade", "ADD", "dum", "stats-teacher"):
        assert f'"{word}' not in raw
        assert f" {word}" not in raw


def test_statistics_are_filtered_by_day(admin_a: Client) -> None:
    north, _south = schools(TENANT_A.slug)
    acknowledge(TENANT_A.slug, "Eleven är lat.", school_id=north, days_ago=40)
    acknowledge(TENANT_A.slug, "Eleven är slarvig.", school_id=north)
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    recent = admin_a.get(STATISTICS, {"since": since}).json()
    old = admin_a.get(STATISTICS, {"until": until}).json()
    assert recent["total"]["acknowledgements"] == 1
    assert old["total"]["acknowledgements"] == 1
    assert admin_a.get(STATISTICS, {"since": since, "until": until}).status_code == 400


def test_a_teacher_may_not_read_statistics(teacher_a: Client) -> None:
    acknowledge(TENANT_A.slug, "Eleven är lat.", school_id=None)
    response = teacher_a.get(STATISTICS)
    assert response.status_code == 403
    assert "acknowledgements" not in response.content.decode()


def test_an_administrator_of_a_sees_nothing_of_b(
    tenant_a: Municipality, admin_a: Client, client_b: Client
) -> None:
    # Given acknowledgements in B
    acknowledge(TENANT_B.slug, "Eleven är lat.", school_id=None)
    before = acknowledgement_rows(TENANT_B.slug)
    # When A's administrator's session is used on B's host
    client_b.cookies = copy.deepcopy(admin_a.cookies)
    response = client_b.get(STATISTICS)
    # Then B knows no such session; and at A the statistics hold A's own (none)
    assert response.status_code == 403
    assert admin_a.get(STATISTICS).json()["total"]["acknowledgements"] == 0
    assert acknowledgement_rows(TENANT_B.slug) == before


def test_each_administrator_sees_their_own_municipality(admin_a: Client, admin_b: Client) -> None:
    acknowledge(TENANT_A.slug, "Eleven är lat.", school_id=None)
    acknowledge(TENANT_B.slug, "Eleven är lat. Han skolkade.", school_id=None)
    acknowledge(TENANT_B.slug, "Eleven är slarvig.", school_id=None)
    assert admin_a.get(STATISTICS).json()["total"]["acknowledgements"] == 1
    assert admin_b.get(STATISTICS).json()["total"]["acknowledgements"] == 2

"""Saving with findings needs an acknowledgement; it is recorded as counts, never as text."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from documentation.textguard.api import text_guard_response
from documentation.textguard.models import Acknowledgement
from documentation.textguard.services import (
    TextGuardFindings,
    acknowledgement_record,
    findings_require_acknowledgement,
    text_check,
)
from tenants.models import Municipality
from tests.conftest import TENANT_A
from tests.documentation.textguard.conftest import acknowledgement_rows
from tests.factories import OrganisationFactory, UserFactory

TEXTS = {
    "summary": "Eleven är lat och slarvig men skolkade bara en gång.",
    "goals": "Hon har diagnosen ADHD.",
}


def test_findings_without_acknowledgement_are_refused_and_nothing_is_recorded(
    tenant_a: Municipality,
) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        findings = text_check(texts=TEXTS)
        # When a service saves them without an acknowledgement
        with pytest.raises(TextGuardFindings) as refused:
            findings_require_acknowledgement(
                findings=findings, acknowledged=False, user=teacher, document_ref="plans.plan:1"
            )
    # Then the exception carries the findings, and nothing was recorded
    assert refused.value.findings == findings
    assert acknowledgement_rows(TENANT_A.slug) == []


def test_an_acknowledgement_is_recorded_with_counts_and_no_text(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        school = OrganisationFactory(display_name="Norra skolan")
        findings = text_check(texts=TEXTS)
        # When the teacher acknowledges the findings
        findings_require_acknowledgement(
            findings=findings,
            acknowledged=True,
            user=teacher,
            document_ref="plans.plan:12",
            organisation_id=school.pk,
        )
        acknowledgement = Acknowledgement.objects.get()
    # Then who, which document, which school and how many per category are recorded
    assert (
        acknowledgement.user_id,
        acknowledgement.document_ref,
        acknowledgement.organisation_id,
    ) == (
        teacher.pk,
        "plans.plan:12",
        school.pk,
    )
    counts = [acknowledgement.value_judgement, acknowledgement.offensive]
    counts += [acknowledgement.attendance, acknowledgement.health]
    assert counts == [2, 0, 1, 2]
    assert acknowledgement.at is not None
    # And no word of the text is stored anywhere in the row
    stored = " ".join(str(value) for value in acknowledgement_rows(TENANT_A.slug)[0])
    for finding in findings:
        assert finding.text not in stored
    for text in TEXTS.values():
        assert text not in stored


def test_no_findings_need_no_acknowledgement(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        findings = text_check(texts={"summary": "Eleven resonerar utförligt om källor."})
        findings_require_acknowledgement(
            findings=findings, acknowledged=False, user=teacher, document_ref="plans.plan:1"
        )
        acknowledgement_record(user=teacher, document_ref="plans.plan:1", findings=[])
    assert findings == []
    assert acknowledgement_rows(TENANT_A.slug) == []


def test_a_malformed_document_reference_is_a_programming_error(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        findings = text_check(texts=TEXTS)
        with pytest.raises(ValueError, match="document_ref"):
            acknowledgement_record(user=teacher, document_ref="Eleven är lat", findings=findings)
    assert acknowledgement_rows(TENANT_A.slug) == []


def test_the_api_answers_findings_with_422(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        findings = text_check(texts={"goals": "Hon har ADD."})
    # When a service's TextGuardFindings reaches the API
    response = text_guard_response(TextGuardFindings(findings))
    # Then it is a 422 with each finding's field, position, words, category and suggestion
    assert response is not None
    assert response.status_code == 422
    assert response.data == {
        "code": "text_guard",
        "findings": [
            {
                "field": "goals",
                "start": 8,
                "end": 11,
                "text": "ADD",
                "category": "health",
                "suggestion": findings[0].suggestion,
            }
        ],
    }
    assert text_guard_response(ValueError("other")) is None


def test_the_shared_exception_handler_answers_422(tenant_a: Municipality) -> None:
    from core.api import exception_handler

    with schema_context(TENANT_A.slug):
        findings = text_check(texts={"goals": "Hon har ADD."})
    response = exception_handler(TextGuardFindings(findings), {})
    assert response is not None
    assert response.status_code == 422
    assert response.data["code"] == "text_guard"
    assert [f["text"] for f in response.data["findings"]] == ["ADD"]

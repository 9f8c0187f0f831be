"""One acknowledgement per person, document and set of findings: an editor that autosaves with
the box ticked must not record a row per save."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.db import connections
from django_tenants.utils import schema_context

from documentation.textguard.models import Acknowledgement
from documentation.textguard.services import (
    acknowledgement_record,
    findings_key,
    findings_require_acknowledgement,
    text_check,
)
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.textguard.conftest import acknowledgement_rows
from tests.factories import UserFactory

LAZY = {"notes": "Eleven är lat på lektionerna."}


def _acknowledge(user: object, texts: dict[str, str], ref: str = "talks.talk:7") -> None:
    findings_require_acknowledgement(
        findings=text_check(texts=texts), acknowledged=True, user=user, document_ref=ref
    )


def _rows(schema: str = TENANT_A.slug) -> list[tuple[str, int, int]]:
    with schema_context(schema):
        return list(
            Acknowledgement.objects.order_by("pk").values_list(
                "document_ref", "value_judgement", "health"
            )
        )


def test_saving_the_same_findings_again_records_one_acknowledgement(
    tenant_a: Municipality,
) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        # When the same document is saved three times with the same finding, the text around
        # it changing (an autosave while the teacher types)
        _acknowledge(teacher, LAZY)
        _acknowledge(teacher, {"notes": "Eleven är lat på lektionerna, men"})
        _acknowledge(teacher, {"notes": "I början: eleven är lat på lektionerna, men glad."})
    # Then one acknowledgement is recorded
    assert _rows() == [("talks.talk:7", 1, 0)]


def test_a_new_or_another_finding_is_a_new_acknowledgement(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        _acknowledge(teacher, LAZY)
        # When a second finding is added to the text
        _acknowledge(teacher, {"notes": "Eleven är lat på lektionerna och har ADHD."})
        # And when a finding is replaced by another of the same category
        _acknowledge(teacher, {"notes": "Eleven är slarvig på lektionerna och har ADHD."})
        # And when the same word stands in another field
        _acknowledge(teacher, {"goals": "Eleven är lat på lektionerna."})
    # Then each new set of findings is its own acknowledgement
    assert _rows() == [
        ("talks.talk:7", 1, 0),
        ("talks.talk:7", 1, 1),
        ("talks.talk:7", 1, 1),
        ("talks.talk:7", 1, 0),
    ]


def test_the_same_findings_by_another_person_or_in_another_document_are_recorded(
    tenant_a: Municipality, tenant_b: Municipality
) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        colleague = UserFactory(username="colleague", is_school_staff=True)
        _acknowledge(teacher, LAZY)
        # When a colleague acknowledges the same findings in the same document, and the
        # teacher the same findings in another document
        _acknowledge(colleague, LAZY)
        _acknowledge(teacher, LAZY, ref="talks.iup:7")
        users = list(Acknowledgement.objects.order_by("pk").values_list("user_id", flat=True))
    with schema_context(TENANT_B.slug):
        # And someone in another municipality the same findings in their document of that id
        _acknowledge(UserFactory(username="teacher", is_school_staff=True), LAZY)
    # Then each is recorded once, in its own municipality
    assert _rows() == [("talks.talk:7", 1, 0), ("talks.talk:7", 1, 0), ("talks.iup:7", 1, 0)]
    assert users == [teacher.pk, colleague.pk, teacher.pk]
    assert _rows(TENANT_B.slug) == [("talks.talk:7", 1, 0)]


def test_the_key_ignores_offsets_and_order_and_holds_no_words(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="teacher", is_school_staff=True)
        one = text_check(texts={"notes": "Lat och slarvig."})
        moved = text_check(texts={"notes": "Han sa att hon är slarvig och LAT."})
        twice = text_check(texts={"notes": "Lat och slarvig, lat."})
        acknowledgement_record(user=teacher, document_ref="talks.talk:1", findings=one)
    # Then where and in which order and case the words stand does not matter; a repeat does
    assert findings_key(one) == findings_key(moved)
    assert findings_key(one) != findings_key(twice)
    assert len(findings_key(one)) == 64
    # And the row keeps no word of the text
    stored = " ".join(str(value) for value in acknowledgement_rows(TENANT_A.slug)[0]).casefold()
    assert "lat" not in stored.replace("talks.talk", "")
    assert "slarvig" not in stored


def test_two_saves_at_the_same_moment_record_one_row(committed_db: None) -> None:
    # Given a teacher (committed: each thread has its own connection and transaction)
    with schema_context(TENANT_A.slug):
        teacher = UserFactory(username="ack-concurrent-teacher", is_school_staff=True)
    findings = text_check(texts=LAZY)

    def save() -> None:
        try:
            with schema_context(TENANT_A.slug):
                acknowledgement_record(
                    user=teacher, document_ref="talks.talk:424242", findings=findings
                )
        finally:
            connections.close_all()

    try:
        # When two autosaves record the same acknowledgement at once
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(save), pool.submit(save)]:
                future.result()
        # Then neither failed and one row exists
        with schema_context(TENANT_A.slug):
            assert Acknowledgement.objects.filter(document_ref="talks.talk:424242").count() == 1
    finally:
        with schema_context(TENANT_A.slug):
            Acknowledgement.objects.filter(document_ref="talks.talk:424242").delete()
            teacher.delete()

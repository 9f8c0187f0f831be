"""Protected identity: persons whose security marking is not "Ingen" are held in quarantine
instead of the register, with every reference to them, until a municipality administrator admits
them one by one (audited); a pupil who gains a marking leaves the register at the next sync."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import schema_context

from access.models import AccessLogEntry
from access.policy import actor_for, visible_pupils
from accounts.models import User
from integrations.models import ImportStatus, QuarantinedPerson
from integrations.services.quarantine import quarantined_person_admit
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import Enrolment, GroupMembership, Person, Responsible
from register.models.base import today
from tests.conftest import TENANT_A, TENANT_B
from tests.factories import UserFactory
from tests.integrations.test_import_bad_input import (
    copy_bundle,
    edit_page,
    exact_snapshot,
    issues_of,
    load_page,
    pupils_in,
    run_import,
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quarantine") / "bundle"
    write_file_bundle(generate_municipality(pupils=300, seed=7), folder)
    return folder


def memberships_in_bundle(folder: Path, person_id: str) -> list[str]:
    """The groups that list the person as a member."""
    _path, groups = load_page(folder, "groups")
    return [
        g["id"]
        for g in groups
        if any(m["person"]["id"] == person_id for m in g["groupMemberships"])
    ]


def mark(folder: Path, person_id: str, marking: str) -> None:
    def change(items: list[dict[str, Any]]) -> None:
        next(p for p in items if p["id"] == person_id)["securityMarking"] = marking

    edit_page(folder, "persons", change)


def choose(folder: Path) -> dict[str, str]:
    """A pupil in groups with guardians, and another pupil's guardian (no duties, guardian of
    that pupil only), all unprotected."""
    _path, persons = load_page(folder, "persons")
    by_id = {p["id"]: p for p in persons}
    _path, duties = load_page(folder, "duties")
    staff = {d["person"]["id"] for d in duties}
    children: dict[str, int] = {}
    for person in persons:
        for responsible in person["responsibles"]:
            children[responsible["person"]["id"]] = children.get(responsible["person"]["id"], 0) + 1
    pupils = [p for p in pupils_in(persons) if p["responsibles"]]
    pupil = next(p for p in pupils if memberships_in_bundle(folder, p["id"]))
    family = {r["person"]["id"] for r in pupil["responsibles"]}
    other = next(
        p
        for p in pupils
        if len(p["responsibles"]) == 2
        and not family & {r["person"]["id"] for r in p["responsibles"]}
        and p["id"] != pupil["id"]
        and all(
            children[r["person"]["id"]] == 1
            and r["person"]["id"] not in staff
            and by_id[r["person"]["id"]].get("securityMarking", "Ingen") == "Ingen"
            for r in p["responsibles"]
        )
    )
    return {
        "pupil": pupil["id"],
        "other_pupil": other["id"],
        "guardian": other["responsibles"][0]["person"]["id"],
    }


def teacher_seeing(pupil: Person) -> User:
    """A member of staff who sees the pupil because they teach one of the pupil's groups."""
    for user in User.objects.filter(is_school_staff=True, is_active=True).order_by("pk"):
        relation = (
            visible_pupils(actor_for(user)).filter(pk=pupil.pk).values_list("relation", flat=True)
        )
        if list(relation) == ["teacher"]:
            return user
    raise AssertionError("nobody teaches the pupil")


def test_protected_persons_wait_in_quarantine_with_their_references_until_admitted(
    tenant_a: object, tenant_b: object, bundle: Path, tmp_path: Path
) -> None:
    # Given an export where a pupil in groups and another pupil's guardian are protected
    folder = copy_bundle(bundle, tmp_path / "protected")
    chosen = choose(folder)
    mark(folder, chosen["pupil"], "Sekretessmarkering")
    mark(folder, chosen["guardian"], "Skyddad folkbokföring")
    groups = memberships_in_bundle(folder, chosen["pupil"])
    # When it is imported
    first = run_import(TENANT_A.slug, folder)
    # Then both wait in quarantine and neither is in the register
    assert first.status == ImportStatus.SUCCEEDED, first.failure
    assert first.error_count == 0  # held back is not an error
    with schema_context(TENANT_A.slug):
        waiting = {q.source_id: q for q in QuarantinedPerson.objects.all()}
        pupil_q = waiting[_uuid(chosen["pupil"])]
        guardian_q = waiting[_uuid(chosen["guardian"])]
        assert (pupil_q.security_marking, pupil_q.admitted_at) == ("Sekretessmarkering", None)
        assert guardian_q.security_marking == "Skyddad folkbokföring"
        assert pupil_q.last_seen_run_id == first.pk
        assert not Person.objects.filter(source_id__in=waiting).exists()
        assert first.counts["person"]["quarantined"] == len(waiting)
        # And their references are held back, not reported: the pupil's memberships, the
        # other pupil's relation to the protected guardian (the other guardian's is there)
        held_back = first.counts["references"]["held_back"]
        assert held_back >= len(groups) + 1
        other = Person.objects.get(source_id=chosen["other_pupil"])
        guardians = set(
            Responsible.objects.filter(pupil=other).values_list("guardian__source_id", flat=True)
        )
        assert len(guardians) == 1
        assert _uuid(chosen["guardian"]) not in guardians
        assert not GroupMembership.objects.filter(person__source_id=chosen["pupil"]).exists()
    assert all(
        i[2] not in (chosen["pupil"], chosen["guardian"]) for i in issues_of(TENANT_A.slug, first)
    )

    # When an administrator admits both, one by one
    with schema_context(TENANT_A.slug):
        admin = UserFactory(username="admin@ale.example", is_municipality_admin=True)
        for person in (pupil_q, guardian_q):
            quarantined_person_admit(person=person, admitted_by=admin)
        # Then each admission is in the audit trail
        entries = AccessLogEntry.objects.filter(resource="quarantine.admit")
        assert sorted(entries.values_list("actor_id", "object_ref")) == sorted(
            [(admin.pk, f"quarantine:{pupil_q.pk}"), (admin.pk, f"quarantine:{guardian_q.pk}")]
        )
    # When the same export is imported again
    second = run_import(TENANT_A.slug, folder)
    # Then both come in with their marking, and with the references held back before
    assert second.status == ImportStatus.SUCCEEDED, second.failure
    assert second.error_count == 0
    assert second.counts["references"]["held_back"] == held_back - len(groups) - 1
    with schema_context(TENANT_A.slug):
        pupil = Person.objects.get(source_id=chosen["pupil"])
        assert (pupil.security_marking, pupil.removed_at) == ("Sekretessmarkering", None)
        in_groups = GroupMembership.objects.filter(person=pupil)
        assert sorted(
            str(g) for g in in_groups.values_list("group__source_id", flat=True)
        ) == sorted(groups)
        _path, persons = load_page(folder, "persons")
        sent = next(p for p in persons if p["id"] == chosen["pupil"])["responsibles"]
        assert set(
            Responsible.objects.filter(pupil=pupil).values_list("guardian__source_id", flat=True)
        ) == {_uuid(r["person"]["id"]) for r in sent}
        other = Person.objects.get(source_id=chosen["other_pupil"])
        assert Responsible.objects.filter(
            pupil=other, guardian__source_id=chosen["guardian"]
        ).exists()
        guardian = Person.objects.get(source_id=chosen["guardian"])
        assert guardian.security_marking == "Skyddad folkbokföring"
        # And the protected pupil is reached through a direct relation (a teacher of theirs)
        teacher_seeing(pupil)
    # And nothing of this reached the other municipality
    with schema_context(TENANT_B.slug):
        assert not Person.objects.exists()
        assert not QuarantinedPerson.objects.exists()


def test_a_pupil_who_gains_a_marking_leaves_at_the_next_sync(
    tenant_a: object, tenant_b: object, bundle: Path, tmp_path: Path
) -> None:
    # Given an imported pupil with an account, groups and a teacher who sees them
    first = run_import(TENANT_A.slug, bundle)
    assert first.status == ImportStatus.SUCCEEDED, first.failure
    _path, persons = load_page(bundle, "persons")
    with schema_context(TENANT_A.slug):
        pupil = next(
            p
            for p in Person.objects.filter(
                source_id__in=[p["id"] for p in pupils_in(persons)],
                user__is_active=True,
                group_memberships__isnull=False,
            ).distinct()
        )
        teacher = teacher_seeing(pupil)
        still_seen = set(visible_pupils(actor_for(teacher)).values_list("pk", flat=True))
        assert pupil.pk in still_seen
        current = GroupMembership.objects.current().filter(person=pupil).count()
        assert current > 0
    boras = exact_snapshot(TENANT_B.slug)
    # When the register marks them protected
    folder = copy_bundle(bundle, tmp_path / "marked")
    mark(folder, str(pupil.source_id), "Skyddad folkbokföring")
    run = run_import(TENANT_A.slug, folder)
    # Then they leave the register at this sync: removed, groups and enrolments ended yesterday,
    # account deactivated by the register, waiting in quarantine
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    assert run.error_count == 0
    yesterday = today() - dt.timedelta(days=1)
    with schema_context(TENANT_A.slug):
        pupil.refresh_from_db()
        assert pupil.removed_at is not None
        ends = set(GroupMembership.objects.filter(person=pupil).values_list("end_date", flat=True))
        assert ends == {yesterday}
        assert not GroupMembership.objects.current().filter(person=pupil).exists()
        assert not Enrolment.objects.current().filter(person=pupil).exists()
        account = User.objects.get(pk=pupil.user_id)
        assert account.is_active is False
        assert account.deactivated_by_register_at is not None
        waiting = QuarantinedPerson.objects.get(source_id=pupil.source_id)
        assert (waiting.security_marking, waiting.admitted_at) == ("Skyddad folkbokföring", None)
        # And the teacher no longer sees them, and still sees everyone else they saw
        seen = set(visible_pupils(actor_for(teacher)).values_list("pk", flat=True))
        assert seen == still_seen - {pupil.pk}
    assert exact_snapshot(TENANT_B.slug) == boras


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)

"""Benchmark: importing a 100,000-pupil municipality's register (`make bench-import`).

A synthetic municipality (``generate_municipality(pupils=100_000, seed=1)``: about 217,000
persons with guardians and staff, 29,000 groups, 7,000 duties, 37,000 activities; about 1.5
million register rows with e-mails, enrolments, guardian relations, memberships, assignment
roles, activity groups and teachers, plus 184,000 accounts) is written once as an SS 12000 file
bundle into .state/bench/bundles and imported through the real ``ss12000-files`` source into a
freshly onboarded, committed municipality:

* ``import_first``: the first import into the empty register (accounts created).
* ``import_noop``: the same bundle again; ``import_noop_row_writes`` is how many rows of the
  register_* tables and accounts_user it inserted, updated or deleted (PostgreSQL's cumulative
  table statistics, flushed by the import's own session before it ends: see conftest.row_writes).
* ``import_delta``: ``apply_delta(fraction=0.01)`` of the same municipality, written as a new
  bundle (renames, pupils leaving and joining, moves, protected identities...).
* ``import_peak_rss``: every run is a process of its own (``import_child.py``: Django set-up plus
  ``import_run_execute``); the figure is the largest peak RSS (VmHWM) of the three processes.
  The bundle generator runs in the benchmark's own process and is not counted (nor, through
  ``ru_maxrss``, inherited: see conftest.import_in_child).
* ``import_naive_ratio``: the baseline below, a plain Django importer doing ``update_or_create``
  per record, on a 1,000-pupil sample (2,137 persons with their groups, duties and
  activities) into another fresh municipality, against the pipeline's first import of the
  100,000-pupil bundle, per register row written: how many times longer the naive importer
  would take for the same import, extrapolated linearly from the sample. The same-sample ratio
  (the pipeline on the 1,000-pupil bundle) is printed too.

Wall times are those of ``import_run_execute`` (reading the files, staging, the one apply
transaction, accounts, recording the run), without the process's start-up. Goals (issue):
first import <= 30 s, no-change re-run <= 10 s with zero row writes, peak RSS <= 400 MB.
``BENCH_IMPORT_PUPILS`` changes the size (the goals are asserted at 100,000 only).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django_tenants.utils import schema_context

from accounts.models import User
from integrations.records import (
    ActivityRecord,
    DutyRecord,
    GroupRecord,
    OrganisationRecord,
    PersonRecord,
)
from integrations.services.sources import tenant_id_secret
from integrations.sources.ss12000_files import Ss12000FileSource
from municipal.selectors import municipal_settings_get
from register.civic_numbers import InvalidCivicNumber, parse_civic_number
from register.models import (
    Activity,
    ActivityTeacher,
    AssignmentRole,
    Duty,
    Email,
    Enrolment,
    Group,
    GroupMembership,
    Organisation,
    Person,
    Responsible,
)
from register.models.base import current_q, today
from register.models.choices import SecurityMarking
from tests.benchmarks.conftest import (
    ChildRun,
    bench,
    bench_municipality,
    import_in_child,
    load_average,
    note,
    register_rows,
    row_writes,
    synthetic_bundles,
)

PUPILS = int(os.environ.get("BENCH_IMPORT_PUPILS", "100000"))
SEED = 1
DELTA_FRACTION = 0.01
SAMPLE_PUPILS = 1000
GOAL_FIRST_SECONDS = 30.0
GOAL_NOOP_SECONDS = 10.0
GOAL_PEAK_RSS_MB = 400.0


# --- The baseline: a naive Django importer ------------------------------------------------------
#
# BASELINE ONLY, never used by the product. What a straightforward Django implementation of the
# same import looks like: the same source (Ss12000FileSource), then one ORM call per record and
# per child (update_or_create / get_or_create, a .get() per reference), every record written
# whether it changed or not, accounts decided person by person. It is given the benefit of one
# transaction around the whole import (no commit per row). It skips what the product does beyond
# that (quarantine, digests, ending what left, issue reports), so it is, if anything, flattered.


def _naive_organisation_id(source_id: uuid.UUID | None) -> int | None:
    if source_id is None:
        return None
    return Organisation.objects.filter(source_id=source_id).values_list("id", flat=True).first()


def _naive_person_id(source_id: uuid.UUID) -> int | None:
    return Person.objects.filter(source_id=source_id).values_list("id", flat=True).first()


def _naive_organisation(r: OrganisationRecord, parents: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    Organisation.objects.update_or_create(
        source_id=r.source_id,
        defaults={
            "source_modified": r.modified,
            "display_name": r.display_name,
            "organisation_type": r.organisation_type,
            "organisation_code": r.organisation_code,
            "school_unit_code": r.school_unit_code,
            "school_types": list(r.school_types),
            "municipality_code": r.municipality_code,
            "start_date": r.start_date,
            "end_date": r.end_date,
        },
    )
    if r.parent_id:
        parents.append((r.source_id, r.parent_id))


def _naive_person(r: PersonRecord, responsibles: list[tuple[uuid.UUID, PersonRecord]]) -> None:
    if r.security_marking != SecurityMarking.NONE:
        return
    civic = None
    if r.civic_no:
        try:
            civic = parse_civic_number(r.civic_no)
        except InvalidCivicNumber:
            return
    person, _created = Person.objects.update_or_create(
        source_id=r.source_id,
        defaults={
            "source_modified": r.modified,
            "given_name": r.given_name,
            "middle_name": r.middle_name,
            "family_name": r.family_name,
            "civic_no": civic.value if civic else "",
            "civic_no_kind": civic.kind.value if civic else "",
            "birth_date": r.birth_date or (civic.birth_date if civic else None),
            "security_marking": r.security_marking,
            "status": r.status,
            "removed_at": None,
        },
    )
    for email in r.emails:
        Email.objects.get_or_create(person=person, value=email.value.strip(), type=email.type)
    for e in r.enrolments:
        unit_id = _naive_organisation_id(e.school_unit_id)
        if unit_id is None:
            continue
        Enrolment.objects.update_or_create(
            person=person,
            school_unit_id=unit_id,
            school_type=e.school_type,
            start_date=e.start_date,
            defaults={
                "school_year": e.school_year,
                "end_date": e.end_date,
                "cancelled": e.cancelled,
            },
        )
    if r.responsibles:
        responsibles.append((person.source_id, r))


def _naive_responsibles(pending: list[tuple[uuid.UUID, PersonRecord]]) -> None:
    for pupil_sid, r in pending:
        pupil = Person.objects.get(source_id=pupil_sid)
        for responsible in r.responsibles:
            guardian_id = _naive_person_id(responsible.guardian_id)
            if guardian_id is not None:
                Responsible.objects.get_or_create(
                    pupil=pupil, guardian_id=guardian_id, relation_type=responsible.relation_type
                )


def _naive_group(r: GroupRecord) -> None:
    organisation_id = _naive_organisation_id(r.organisation_id)
    if organisation_id is None:
        return
    group, _created = Group.objects.update_or_create(
        source_id=r.source_id,
        defaults={
            "source_modified": r.modified,
            "display_name": r.display_name,
            "group_type": r.group_type,
            "school_type": r.school_type,
            "organisation_id": organisation_id,
            "start_date": r.start_date,
            "end_date": r.end_date,
        },
    )
    for m in r.memberships:
        person_id = _naive_person_id(m.person_id)
        if person_id is not None:
            GroupMembership.objects.update_or_create(
                group=group,
                person_id=person_id,
                start_date=m.start_date or r.start_date,
                defaults={"end_date": m.end_date},
            )


def _naive_duty(r: DutyRecord) -> None:
    person_id = _naive_person_id(r.person_id)
    duty_at_id = _naive_organisation_id(r.duty_at_id)
    if person_id is None or duty_at_id is None:
        return
    duty, _created = Duty.objects.update_or_create(
        source_id=r.source_id,
        defaults={
            "source_modified": r.modified,
            "person_id": person_id,
            "duty_at_id": duty_at_id,
            "duty_role": r.duty_role,
            "signature": r.signature,
            "start_date": r.start_date,
            "end_date": r.end_date,
        },
    )
    for a in r.assignment_roles:
        group = Group.objects.filter(source_id=a.group_id).first()
        if group is not None:
            AssignmentRole.objects.update_or_create(
                duty=duty,
                group=group,
                role_type=a.role_type,
                start_date=a.start_date or r.start_date,
                defaults={"end_date": a.end_date},
            )


def _naive_activity(r: ActivityRecord) -> None:
    organisation_id = _naive_organisation_id(r.organisation_id)
    if organisation_id is None:
        return
    activity, _created = Activity.objects.update_or_create(
        source_id=r.source_id,
        defaults={
            "source_modified": r.modified,
            "display_name": r.display_name,
            "activity_type": r.activity_type,
            "organisation_id": organisation_id,
            "subject_code": r.subject_code,
            "start_date": r.start_date,
            "end_date": r.end_date,
        },
    )
    activity.groups.set(Group.objects.filter(source_id__in=r.group_ids))
    for t in r.teachers:
        duty = Duty.objects.filter(source_id=t.duty_id).first()
        if duty is not None:
            ActivityTeacher.objects.update_or_create(
                activity=activity,
                duty=duty,
                start_date=t.start_date or r.start_date,
                defaults={"end_date": t.end_date},
            )


def _naive_username(person: Person, staff: bool, pupil: bool, guardian: bool) -> str:
    emails = list(person.emails.order_by("value"))
    preferred = (
        (["Skola personal", "Arbete övrigt"] if staff else [])
        + (["Skola elev"] if pupil else [])
        + (["Privat"] if guardian else [])
    )
    for kind in preferred:
        for email in emails:
            if email.type == kind:
                return email.value.lower()
    return emails[0].value.lower() if emails else str(person.source_id)


def _naive_accounts() -> None:
    settings = municipal_settings_get()
    on = today()
    pupil_rule = Q(school_type__in=["GY", "GYS", "VUX"]) | Q(
        school_year__gte=settings.pupil_login_from_school_year
    )
    for person in Person.objects.order_by("id"):
        live = person.removed_at is None and person.status == "Aktiv"
        staff = live and person.duties.filter(current_q(on)).exists()
        pupil = (
            live and person.enrolments.filter(current_q(on), pupil_rule, cancelled=False).exists()
        )
        guardian = (
            live
            and Responsible.objects.filter(
                guardian=person,
                relation_type__in=settings.guardian_relation_types,
                pupil__removed_at__isnull=True,
                pupil__enrolments__cancelled=False,
                pupil__enrolments__start_date__lte=on,
            )
            .filter(
                Q(pupil__enrolments__end_date__isnull=True) | Q(pupil__enrolments__end_date__gte=on)
            )
            .exists()
        )
        if not (staff or pupil or guardian):
            if person.user_id:
                User.objects.filter(pk=person.user_id).update(is_active=False)
            continue
        if person.user_id:
            User.objects.filter(pk=person.user_id).update(
                first_name=person.given_name, last_name=person.family_name, is_school_staff=staff
            )
            continue
        username = _naive_username(person, staff, pupil, guardian)
        if User.objects.filter(username=username).exists():
            username = str(person.source_id)
        user = User.objects.create(
            username=username,
            first_name=person.given_name,
            last_name=person.family_name,
            email=username if "@" in username else "",
            is_school_staff=staff,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        person.user = user
        person.save(update_fields=["user"])


def naive_import(schema: str, folder: Path) -> float:
    """BASELINE: the naive importer over ``folder`` in ``schema``; returns its wall time."""
    with schema_context(schema):
        started = time.perf_counter()
        source = Ss12000FileSource(folder, id_secret=tenant_id_secret())
        parents: list[tuple[uuid.UUID, uuid.UUID]] = []
        responsibles: list[tuple[uuid.UUID, PersonRecord]] = []
        with transaction.atomic():
            for item in source.read():
                if isinstance(item, OrganisationRecord):
                    _naive_organisation(item, parents)
                elif isinstance(item, PersonRecord):
                    _naive_person(item, responsibles)
                elif isinstance(item, GroupRecord):
                    _naive_group(item)
                elif isinstance(item, DutyRecord):
                    _naive_duty(item)
                elif isinstance(item, ActivityRecord):
                    _naive_activity(item)
            for child_sid, parent_sid in parents:
                Organisation.objects.filter(source_id=child_sid).update(
                    parent_id=_naive_organisation_id(parent_sid)
                )
            _naive_responsibles(responsibles)
            _naive_accounts()
        return time.perf_counter() - started


# --- The benchmark ------------------------------------------------------------------------------


def _succeeded(run: ChildRun, what: str) -> None:
    assert (run.status, run.failure) == ("succeeded", ""), f"{what}: {run.status} {run.failure}"


def _phases(figure: str, run: ChildRun) -> None:
    bench(f"{figure}_process_cpu", run.cpu_seconds, "s")
    if run.db_cpu_seconds is not None:
        bench(f"{figure}_database_cpu", run.db_cpu_seconds, "s")
    for phase in ("read", "apply", "accounts"):
        if phase in run.timings:
            bench(f"{figure}_phase_{phase}", float(run.timings[phase]), "s")
    bench(f"{figure}_phase_commit", run.commit_seconds, "s")
    rest = run.seconds - sum(float(v) for v in run.timings.values()) - run.commit_seconds
    bench(f"{figure}_phase_record_and_rest", rest, "s")


def _changes(run: ChildRun) -> str:
    parts = []
    for entity, counts in sorted(run.counts.items()):
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        parts.append(f"{entity}: {shown}")
    return "; ".join(parts)


def test_import(committed: None) -> None:
    note(f"machine: {load_average()} at start")
    started = time.perf_counter()
    base, delta = synthetic_bundles(PUPILS, SEED, delta=DELTA_FRACTION)
    sample, _same = synthetic_bundles(SAMPLE_PUPILS, SEED)
    note(f"bundles ready in {time.perf_counter() - started:.1f} s ({base.name})")

    schema = bench_municipality(1, "import")
    writes_at_start = row_writes(schema)
    first = import_in_child(schema, base)
    _succeeded(first, "first import")
    writes_after_first = row_writes(schema)
    rows = register_rows(schema)
    note(f"first import: {_changes(first)}")
    note(f"register rows after the first import: {rows}")

    noop = import_in_child(schema, base)
    _succeeded(noop, "no-change re-run")
    writes_after_noop = row_writes(schema)
    note(f"no-change re-run: {_changes(noop)}")

    delta_run = import_in_child(schema, delta)
    _succeeded(delta_run, "delta")
    writes_after_delta = row_writes(schema)
    note(f"delta: {_changes(delta_run)}")
    note(f"machine: {load_average()} after the 100k runs")

    # The baseline and the pipeline on the same sample, each into a fresh municipality.
    ours_schema = bench_municipality(2, "sample")
    ours_sample = import_in_child(ours_schema, sample)
    _succeeded(ours_sample, "sample import")
    ours_rows = register_rows(ours_schema)
    naive_schema = bench_municipality(3, "naive")
    naive_seconds = naive_import(naive_schema, sample)
    naive_rows = register_rows(naive_schema)
    note(f"sample rows, pipeline: {ours_rows}")
    note(f"sample rows, naive baseline: {naive_rows}")

    records = sum(rows.values())
    first_per_row = first.seconds / records
    naive_per_row = naive_seconds / sum(naive_rows.values())
    sample_per_row = ours_sample.seconds / sum(ours_rows.values())
    peak = max(first.peak_rss_mb, noop.peak_rss_mb, delta_run.peak_rss_mb)

    bench("import_pupils", PUPILS, "pupils")
    bench("import_persons", rows.get("register_person", 0), "persons")
    bench("import_records", records, "rows")
    bench("import_first", first.seconds, "s")
    bench("import_first_row_writes", writes_after_first - writes_at_start, "rows")
    _phases("import_first", first)
    bench("import_noop", noop.seconds, "s")
    bench("import_noop_row_writes", writes_after_noop - writes_after_first, "rows")
    _phases("import_noop", noop)
    bench("import_delta", delta_run.seconds, "s")
    bench("import_delta_row_writes", writes_after_delta - writes_after_noop, "rows")
    _phases("import_delta", delta_run)
    bench("import_peak_rss", peak, "MB")
    bench("import_first_rss", first.peak_rss_mb, "MB")
    bench("import_noop_rss", noop.peak_rss_mb, "MB")
    bench("import_delta_rss", delta_run.peak_rss_mb, "MB")
    bench("import_naive_sample_rows", sum(naive_rows.values()), "rows")
    bench("import_naive_sample", naive_seconds, "s")
    bench("import_sample", ours_sample.seconds, "s")
    bench("import_naive_extrapolated", naive_per_row * records, "s")
    bench("import_naive_ratio", naive_per_row / first_per_row, "x")
    bench("import_naive_ratio_same_sample", naive_per_row / sample_per_row, "x")
    note(f"machine: {load_average()} at the end")

    assert writes_after_first - writes_at_start > 0, "the write counters did not move"
    if PUPILS == 100_000:
        assert first.seconds <= GOAL_FIRST_SECONDS
        assert noop.seconds <= GOAL_NOOP_SECONDS
        assert peak <= GOAL_PEAK_RSS_MB
    assert writes_after_noop == writes_after_first

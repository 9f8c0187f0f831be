"""Bad register input: every case ends with a clear per-run failure or exact per-row issues, and
nothing is partly applied.

Each test starts from tenant A (ale) holding a good first import, runs one bad input into it and
compares the register before and after: byte for byte (every column of every register row,
accounts, quarantine, checkpoints) for a failed run; for row-level errors, only the bad rows are
left out. Tenant B (boras) must stay untouched throughout.

The helpers at the top (``exact_snapshot``, ``register_content``, bundle editing) are shared by
``test_import_faults.py`` and ``test_import_quarantine.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django_tenants.utils import schema_context

from accounts.models import User
from core.db import connection
from integrations.models import ImportIssue, ImportRun, ImportStatus, RegisterConnection
from integrations.services.runs import import_run_create, import_run_execute
from integrations.synthetic.generator import SyntheticMunicipality, generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.civic_numbers import luhn_check_digit
from register.models import Group, GroupMembership, Person, Responsible
from tests.conftest import TENANT_A, TENANT_B

# --- Register state ------------------------------------------------------------------------------

# Everything an import may write, besides the run's own rows.
STATE_TABLES_SQL = """
SELECT table_name FROM information_schema.tables
 WHERE table_schema = %s AND table_type = 'BASE TABLE'
   AND (table_name LIKE 'register\\_%%' OR table_name IN (
        'accounts_user', 'integrations_quarantinedperson', 'integrations_registercheckpoint'))
 ORDER BY table_name
"""


def exact_snapshot(schema: str) -> dict[str, tuple[int, str]]:
    """Per table: the row count and an md5 of every column of every row (ids, timestamps and
    digests included). Equal snapshots mean not a single value was written."""
    snapshot: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(STATE_TABLES_SQL, [schema])
        tables = [row[0] for row in cursor.fetchall()]
        assert "register_person" in tables
        for table in tables:  # names from information_schema, not from input
            rows = f'"{schema}"."{table}"'
            digest_sql = (
                "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '')"
            )
            cursor.execute(f"{digest_sql} FROM {rows} t")
            count, digest = cursor.fetchone()
            snapshot[table] = (int(count), str(digest))
    return snapshot


# Values that differ between two equal imports: surrogate keys, clocks, random passwords.
_VOLATILE = frozenset({"id", "imported_at", "password", "date_joined", "last_login"})
# Moments that matter only as "set or not".
_FLAGS = frozenset({"removed_at", "deactivated_by_register_at"})


def _natural(field: models.Field) -> str:  # type: ignore[type-arg]
    """The lookup that names a foreign key's target without its surrogate id."""
    target = field.related_model
    if target is User:
        return f"{field.name}__username"
    if target is not None and any(f.name == "source_id" for f in target._meta.get_fields()):
        return f"{field.name}__source_id"
    raise AssertionError(f"no natural key for {field}")


def _content_models() -> list[type[models.Model]]:
    register = list(apps.get_app_config("register").get_models(include_auto_created=True))
    return [*register, User]


def register_content(
    schema: str, *, without: frozenset[str] = frozenset()
) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a digest of the register's *content*, independent of
    surrogate ids and clocks (foreign keys as the register's ids, accounts by user name), so
    two municipalities that imported the same input compare equal. ``without``: more fields to
    leave out (e.g. ``content_hash``)."""
    out: dict[str, tuple[int, str]] = {}
    with schema_context(schema):
        from register.models import Organisation

        org_ids = dict(Organisation.objects.values_list("id", "source_id"))
        for model in _content_models():
            lookups: list[str] = []
            for field in model._meta.concrete_fields:
                if field.name in _VOLATILE or field.name in without:
                    continue
                lookups.append(_natural(field) if field.is_relation else field.name)
            rows = []
            for values in model.objects.values_list(*lookups):
                row = []
                for name, value in zip(lookups, values, strict=True):
                    if name in _FLAGS:
                        value = value is not None
                    elif name == "lineage":
                        value = [str(org_ids[i]) for i in value]
                    row.append(repr(value))
                rows.append("|".join(row))
            rows.sort()
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            out[model._meta.db_table] = (len(rows), digest)
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The tables whose state differs (readable assertion messages)."""
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


# --- Running imports ------------------------------------------------------------------------------


def run_import(
    schema: str, path: Path, *, source: str = "ss12000-files", **options: Any
) -> ImportRun:
    with schema_context(schema):
        run = import_run_create(
            source=source, source_path=str(path), trigger="command", enqueue=False, **options
        )
        import_run_execute(run_id=run.pk)
        run.refresh_from_db()
        return run


def issues_of(schema: str, run: ImportRun) -> list[tuple[str, str, str, str]]:
    """(severity, entity, source id, message) of the run's stored issues, sorted."""
    with schema_context(schema):
        rows = ImportIssue.objects.filter(run=run).values_list(
            "severity", "entity", "source_id", "message"
        )
        return sorted(rows)


# --- Editing a bundle -------------------------------------------------------------------------


def copy_bundle(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def load_page(folder: Path, endpoint: str) -> tuple[Path, list[dict[str, Any]]]:
    (path,) = sorted(folder.glob(f"{endpoint}-*.json"))
    return path, json.loads(path.read_text(encoding="utf-8"))["data"]


def save_page(path: Path, items: list[dict[str, Any]], *, encoding: str = "utf-8") -> None:
    path.write_text(json.dumps({"data": items}, ensure_ascii=False), encoding=encoding)


def edit_page(folder: Path, endpoint: str, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path, items = load_page(folder, endpoint)
    change(items)
    save_page(path, items)


def civic_value(person: dict[str, Any]) -> str:
    return str(person["civicNo"]["value"])


def with_bad_check_digit(number: str) -> str:
    return number[:11] + str((int(number[11]) + 1) % 10)


def valid_personnummer(n: int, *, year: int = 2013) -> str:
    body = f"{year % 100:02d}{1 + n % 12:02d}{1 + n % 28:02d}8{n % 100:02d}"
    return f"{year // 100}{body}{luhn_check_digit(body)}"


def pupils_in(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in items if p["enrolments"] and p.get("securityMarking", "Ingen") == "Ingen"]


@dataclass
class Town:
    municipality: SyntheticMunicipality
    bundle: Path
    first: ImportRun
    before: dict[str, tuple[int, str]]
    boras_before: dict[str, tuple[int, str]]
    work: Path

    def variant(self, name: str) -> Path:
        return copy_bundle(self.bundle, self.work / name)

    def assert_boras_untouched(self) -> None:
        assert diff(self.boras_before, exact_snapshot(TENANT_B.slug)) == []


@pytest.fixture(scope="module")
def synthetic_town(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticMunicipality, Path]:
    municipality = generate_municipality(pupils=300, seed=7)
    folder = tmp_path_factory.mktemp("good") / "bundle"
    write_file_bundle(municipality, folder)
    return municipality, folder


@pytest.fixture
def town(
    tenant_a: object,
    tenant_b: object,
    synthetic_town: tuple[SyntheticMunicipality, Path],
    tmp_path: Path,
) -> Town:
    """Ale holding a good first import of the synthetic town; Borås empty."""
    municipality, bundle = synthetic_town
    first = run_import(TENANT_A.slug, bundle)
    assert (first.status, first.failure) == (ImportStatus.SUCCEEDED, "")
    return Town(
        municipality=municipality,
        bundle=bundle,
        first=first,
        before=exact_snapshot(TENANT_A.slug),
        boras_before=exact_snapshot(TENANT_B.slug),
        work=tmp_path,
    )


def assert_failed_and_unchanged(town: Town, run: ImportRun, *, failure: str) -> None:
    assert run.status == ImportStatus.FAILED
    assert failure in run.failure, run.failure
    assert diff(town.before, exact_snapshot(TENANT_A.slug)) == []
    town.assert_boras_untouched()


# --- Whole-run failures -----------------------------------------------------------------------


def test_malformed_json_fails_the_run_and_changes_nothing(town: Town) -> None:
    # Given a bundle whose persons file is not JSON in the middle, and renames elsewhere
    folder = town.variant("malformed")
    edit_page(folder, "groups", lambda items: items[0].update(displayName="Omdöpt"))
    path, _ = load_page(folder, "persons")
    text = path.read_text(encoding="utf-8")
    middle = text.index('"givenName"', len(text) // 2)
    path.write_text(text[:middle] + '"givenName" "Åsa",' + text[middle:], encoding="utf-8")
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run fails naming the file and the problem, and nothing was applied
    assert_failed_and_unchanged(
        town, run, failure="The register input could not be read: persons-0001.json: malformed JSON"
    )


def test_truncated_json_fails_the_run_and_changes_nothing(town: Town) -> None:
    # Given a bundle cut off in its duties file, after organisations, persons and groups (with
    # changes) were read and staged
    folder = town.variant("truncated")
    edit_page(folder, "persons", lambda items: pupils_in(items)[0].update(familyName="Nyberg"))
    path, _ = load_page(folder, "duties")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run fails naming the file, and the staged changes were not applied
    assert_failed_and_unchanged(
        town, run, failure="The register input could not be read: duties-0001.json: malformed JSON"
    )


def test_a_json_file_not_in_utf8_fails_the_run_and_changes_nothing(town: Town) -> None:
    # Given a persons file saved as Windows-1252 (å, ä, ö are single bytes, not UTF-8)
    folder = town.variant("cp1252")
    path, items = load_page(folder, "persons")
    save_page(path, items, encoding="cp1252")
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run fails clearly (JSON must be UTF-8) and nothing was read into the register
    assert_failed_and_unchanged(
        town, run, failure="The register input could not be read: persons-0001.json: not UTF-8"
    )


def test_a_missing_required_file_fails_the_run_instead_of_removing_everyone(town: Town) -> None:
    # Given an export that lost its persons file
    folder = town.variant("no-persons")
    load_page(folder, "persons")[0].unlink()
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run fails: a missing file is not "everyone left"
    assert_failed_and_unchanged(town, run, failure="no file for person")


# --- Row-level problems: the bad rows are left out, everything else is applied -----------------


def reference_content(
    town: Town, clean: Path, *, without: frozenset[str] = frozenset()
) -> dict[str, tuple[int, str]]:
    """Borås imports the good bundle and then ``clean`` (the same changes without the bad
    rows): what Ale must look like after the bad bundle, if exactly the bad rows were left
    out."""
    for folder in (town.bundle, clean):
        run = run_import(TENANT_B.slug, folder)
        assert (run.status, run.error_count) == (ImportStatus.SUCCEEDED, 0), run.failure
    return register_content(TENANT_B.slug, without=without)


def legitimate_changes(folder: Path) -> None:
    """Changes a good export of the next day could carry: a renamed pupil and group."""
    edit_page(folder, "persons", lambda items: pupils_in(items)[1].update(familyName="Lindholm"))
    edit_page(folder, "groups", lambda items: items[1].update(displayName="Omdöpt grupp"))


def test_a_bad_civic_number_skips_the_row_and_keeps_the_person(town: Town) -> None:
    # Given an export where one known pupil's civic number fails the check digit (and their
    # name changed), next to legitimate changes
    clean = town.variant("clean")
    legitimate_changes(clean)
    folder = town.variant("bad-civic")
    legitimate_changes(folder)
    pupil: dict[str, Any] = {}

    def spoil(items: list[dict[str, Any]]) -> None:
        pupil.update(pupils_in(items)[2])
        target = next(p for p in items if p["id"] == pupil["id"])
        target["civicNo"]["value"] = with_bad_check_digit(civic_value(target))
        target["givenName"] = "Felaktig"

    edit_page(folder, "persons", spoil)
    with schema_context(TENANT_A.slug):
        before = Person.objects.get(source_id=pupil["id"])
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run succeeds with exactly one row error, naming no civic number
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    assert issues_of(TENANT_A.slug, run) == [
        ("error", "person", pupil["id"], "civic number: the check digit does not match")
    ]
    assert (run.error_count, run.warning_count) == (1, 0)
    assert run.counts["person"]["errors"] == 1
    assert run.counts["person"].get("gone", 0) == 0
    # And the person is untouched: not updated, not marked gone, account still active
    with schema_context(TENANT_A.slug):
        after = Person.objects.select_related("user").get(source_id=pupil["id"])
        assert (after.given_name, after.civic_no, after.content_hash, after.removed_at) == (
            before.given_name,
            before.civic_no,
            before.content_hash,
            None,
        )
        assert after.user is None or after.user.is_active
    # And everything else was applied as from the clean export
    assert diff(reference_content(town, clean), register_content(TENANT_A.slug)) == []


def test_duplicate_ids_keep_the_first_row_and_report_the_later(town: Town) -> None:
    # Given an export with a pupil and a group sent twice, the later copies different
    clean = town.variant("clean")
    legitimate_changes(clean)
    folder = town.variant("duplicates")
    legitimate_changes(folder)
    ids: dict[str, str] = {}

    def twice_person(items: list[dict[str, Any]]) -> None:
        copy = json.loads(json.dumps(pupils_in(items)[3]))
        copy["givenName"] = "Dubblett"
        ids["person"] = copy["id"]
        items.append(copy)

    def twice_group(items: list[dict[str, Any]]) -> None:
        copy = json.loads(json.dumps(items[2]))
        copy["displayName"] = "Dubblettgrupp"
        copy["groupMemberships"] = []
        ids["group"] = copy["id"]
        items.append(copy)

    edit_page(folder, "persons", twice_person)
    edit_page(folder, "groups", twice_group)
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then each later copy is one row error and the first copy is what counts
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    message = "the same id appears twice; the later row was skipped"
    assert issues_of(TENANT_A.slug, run) == [
        ("error", "group", ids["group"], message),
        ("error", "person", ids["person"], message),
    ]
    with schema_context(TENANT_A.slug):
        assert not Person.objects.filter(given_name="Dubblett").exists()
        group = Group.objects.get(source_id=ids["group"])
        assert group.display_name != "Dubblettgrupp"
        assert GroupMembership.objects.filter(group=group).count() > 0
    assert diff(reference_content(town, clean), register_content(TENANT_A.slug)) == []


def test_references_to_unknown_entities_skip_that_part_and_reread_the_parent(town: Town) -> None:
    # Given an export where a group has a member, an activity a group and a pupil a guardian
    # that the register does not contain
    clean = town.variant("clean")
    legitimate_changes(clean)
    folder = town.variant("dangling")
    legitimate_changes(folder)
    ghost = {kind: str(uuid.uuid4()) for kind in ("member", "group", "guardian")}
    parents: dict[str, str] = {}

    def member(items: list[dict[str, Any]]) -> None:
        group = items[3]
        parents["group"] = group["id"]
        group["groupMemberships"].append(
            {"person": {"id": ghost["member"]}, "startDate": "2026-08-17"}
        )

    def activity(items: list[dict[str, Any]]) -> None:
        parents["activity"] = items[0]["id"]
        items[0]["groups"].append({"id": ghost["group"]})

    def guardian(items: list[dict[str, Any]]) -> None:
        pupil = pupils_in(items)[4]
        parents["person"] = pupil["id"]
        pupil["responsibles"].append(
            {"person": {"id": ghost["guardian"]}, "relationType": "Vårdnadshavare"}
        )

    edit_page(folder, "groups", member)
    edit_page(folder, "activities", activity)
    edit_page(folder, "persons", guardian)
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then each unknown reference is one row error on its parent
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    expected = [
        ("error", "activity", parents["activity"],
         f"refers to an unknown group ({ghost['group']}); that part was skipped"),
        ("error", "group", parents["group"],
         f"refers to an unknown member ({ghost['member']}); that part was skipped"),
        ("error", "person", parents["person"],
         f"refers to an unknown responsible person ({ghost['guardian']}); that part was skipped"),
    ]  # fmt: skip
    assert issues_of(TENANT_A.slug, run) == expected
    # And the rest of each parent, and of the export, was applied
    reference = reference_content(town, clean, without=frozenset({"content_hash"}))
    assert (
        diff(reference, register_content(TENANT_A.slug, without=frozenset({"content_hash"}))) == []
    )
    # And the parents are read again next time (their digest is forgotten), with the same errors
    with schema_context(TENANT_A.slug):
        assert Group.objects.get(source_id=parents["group"]).content_hash == ""
        assert Person.objects.get(source_id=parents["person"]).content_hash == ""
        from register.models import Activity

        assert Activity.objects.get(source_id=parents["activity"]).content_hash == ""
    again = run_import(TENANT_A.slug, folder)
    assert again.status == ImportStatus.SUCCEEDED
    assert issues_of(TENANT_A.slug, again) == expected


def test_an_unknown_enumeration_value_is_kept_with_a_warning(town: Town) -> None:
    # Given a group type and an e-mail type the standard does not know
    folder = town.variant("enum")
    ids: dict[str, str] = {}

    def group(items: list[dict[str, Any]]) -> None:
        ids["group"] = items[5]["id"]
        items[5]["groupType"] = "Läxhjälp"

    edit_page(folder, "groups", group)
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the row is kept as sent, with one warning naming the field
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    assert issues_of(TENANT_A.slug, run) == [
        ("warning", "group", ids["group"], "unknown enumeration value; kept as sent")
    ]
    assert (run.error_count, run.warning_count) == (0, 1)
    with schema_context(TENANT_A.slug):
        assert Group.objects.get(source_id=ids["group"]).group_type == "Läxhjälp"
        issue = ImportIssue.objects.get(run=run)
        assert issue.location == "groups-0001.json item 5"


def test_an_unknown_security_marking_is_treated_as_protected(town: Town) -> None:
    # Given a pupil whose security marking is a value the standard does not know
    folder = town.variant("marking")
    ids: dict[str, str] = {}

    def mark(items: list[dict[str, Any]]) -> None:
        pupil = pupils_in(items)[5]
        ids["person"] = pupil["id"]
        pupil["securityMarking"] = "Skyddad"

    edit_page(folder, "persons", mark)
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then it is warned about and the pupil is held in quarantine, not shown as unprotected
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    assert issues_of(TENANT_A.slug, run) == [
        ("warning", "person", ids["person"], "unknown enumeration value; kept as sent")
    ]
    with schema_context(TENANT_A.slug):
        from integrations.models import QuarantinedPerson

        assert QuarantinedPerson.objects.filter(source_id=ids["person"]).exists()
        assert Person.objects.get(source_id=ids["person"]).removed_at is not None


def test_persons_without_civic_number_or_email_are_imported_silently(town: Town) -> None:
    # Given an export with civic numbers and e-mail addresses stripped from everyone (EduCloud
    # lets a municipality do that), and a new pupil who never had either
    folder = town.variant("stripped")
    new_pupil: dict[str, Any] = {}

    def strip(items: list[dict[str, Any]]) -> None:
        template = next(p for p in pupils_in(items) if p["enrolments"][0]["schoolType"] == "GY")
        new_pupil.update(json.loads(json.dumps(template)))
        new_pupil.update(id=str(uuid.uuid4()), givenName="Ny", familyName="Elevsson")
        items.append(new_pupil)
        for person in items:
            person.pop("civicNo", None)
            person["emails"] = []

    edit_page(folder, "persons", strip)

    def join_class(items: list[dict[str, Any]]) -> None:
        klass = next(g for g in items if g["groupType"] == "Klass" and g["schoolType"] == "GY")
        klass["groupMemberships"].append(
            {"person": {"id": new_pupil["id"]}, "startDate": klass["startDate"]}
        )

    edit_page(folder, "groups", join_class)
    with schema_context(TENANT_A.slug):
        accounts_before = set(
            User.objects.filter(is_active=True).values_list("username", flat=True)
        )
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then no issue is raised: both fields are optional in SS 12000
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    assert issues_of(TENANT_A.slug, run) == []
    with schema_context(TENANT_A.slug):
        # And the register forgets the numbers and addresses, but nobody leaves
        assert not Person.objects.exclude(civic_no="").exists()
        assert Person.objects.filter(removed_at__isnull=False).count() == 0
        from register.models import Email

        assert Email.objects.count() == 0
        # And existing accounts keep their names; the new pupil's account is named by the
        # register id (no e-mail to take a name from)
        after = set(User.objects.filter(is_active=True).values_list("username", flat=True))
        assert after == accounts_before | {new_pupil["id"]}
        pupil = Person.objects.select_related("user").get(source_id=new_pupil["id"])
        assert (pupil.civic_no, pupil.user.email) == ("", "")  # type: ignore[union-attr]
        assert GroupMembership.objects.filter(person=pupil).count() == 1


# --- The error threshold ------------------------------------------------------------------------


def set_threshold(schema: str, percent: str) -> None:
    with schema_context(schema):
        RegisterConnection.objects.update_or_create(
            pk=1, defaults={"error_threshold_percent": Decimal(percent)}
        )


def test_read_errors_above_the_threshold_fail_the_run_with_the_report(town: Town) -> None:
    # Given a threshold of 0.2 % and an export with legitimate changes and three pupils whose
    # civic numbers fail the check digit (3 of about 900 rows, 0.33 %)
    set_threshold(TENANT_A.slug, "0.2")
    town.before = exact_snapshot(TENANT_A.slug)
    folder = town.variant("over-threshold")
    legitimate_changes(folder)
    spoiled: list[str] = []

    def spoil(items: list[dict[str, Any]]) -> None:
        for pupil in pupils_in(items)[5:8]:
            pupil["civicNo"]["value"] = with_bad_check_digit(civic_value(pupil))
            spoiled.append(pupil["id"])

    edit_page(folder, "persons", spoil)
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run fails saying why, and applies nothing (not even the legitimate changes)
    rows = run.counts.get("person", {}).get("read") or _rows_in(folder)
    assert_failed_and_unchanged(
        town,
        run,
        failure=f"3 of {rows} rows had errors, above the threshold of 0.20 %; nothing was applied."
        " Download the error report for the details.",
    )
    # And the report of the rows is stored with the run
    assert issues_of(TENANT_A.slug, run) == sorted(
        ("error", "person", source_id, "civic number: the check digit does not match")
        for source_id in spoiled
    )
    assert run.error_count == 3


def test_reference_errors_above_the_threshold_fail_the_run_with_the_report(town: Town) -> None:
    # Given the default threshold (1 %) and an export whose groups name 12 members the register
    # does not contain (12 of about 900 rows): errors found only while applying
    with schema_context(TENANT_A.slug):
        assert not RegisterConnection.objects.exists()  # the default applies
    folder = town.variant("dangling-over-threshold")
    legitimate_changes(folder)
    ghosts: list[tuple[str, str]] = []

    def members(items: list[dict[str, Any]]) -> None:
        for group in items[10:22]:
            ghost = str(uuid.uuid4())
            ghosts.append((group["id"], ghost))
            group["groupMemberships"].append({"person": {"id": ghost}})

    edit_page(folder, "groups", members)
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run fails, the apply was rolled back entirely
    assert_failed_and_unchanged(town, run, failure="12 of ")
    assert "above the threshold of 1 %; nothing was applied" in run.failure
    # And the report names every bad reference
    assert issues_of(TENANT_A.slug, run) == sorted(
        ("error", "group", group, f"refers to an unknown member ({ghost}); that part was skipped")
        for group, ghost in ghosts
    )
    assert run.error_count == 12


def _rows_in(folder: Path) -> int:
    return sum(len(load_page(folder, endpoint)[1]) for endpoint in (
        "organisations", "persons", "groups", "duties", "activities"
    ))  # fmt: skip


# --- Encodings of CSV exports ---------------------------------------------------------------------


def _csv_export(
    pupil_numbers: list[str], staff_number: str, guardian_number: str
) -> dict[str, str]:
    """A small export (docs/register-file-formats.md) full of å, ä, ö and é."""
    first, second = pupil_numbers
    return {
        "organisationer.csv": (
            "namn;typ;skolenhetskod;organisationskod;överordnad;skolformer;kommunkod\n"
            "Älvängens kommun;Huvudman;;HM1;;;1440\n"
            "Östra skolan;Skola;;OST;HM1;GR;1440\n"
            "Östra skolan 7-9;Skolenhet;14400001;;OST;GR;1440\n"
        ),
        "elever.csv": (
            "Personnummer;Förnamn;Efternamn;Skolenhet;Skolform;Årskurs;Startdatum;E-post\n"
            f"{first};Åsa;Öberg;14400001;GR;8;2025-08-18;asa.oberg@elev.alvangen.example\n"
            f"{second};Zoë;Ängström-Hedén;14400001;GR;8;2025-08-18;zoe@elev.alvangen.example\n"
        ),
        "vardnadshavare.csv": (
            "Elev;Personnummer;Förnamn;Efternamn;Relation;E-post\n"
            f"{first};{guardian_number};Jörgen;Öberg;Vårdnadshavare;jorgen@alvangen.example\n"
        ),
        "personal.csv": (
            "Personnummer;Förnamn;Efternamn;E-post;Arbetsplats;Roll;Signatur;Startdatum\n"
            f"{staff_number};Märta;Åkesson;marta@alvangen.example;14400001;Lärare;MÅK;2019-08-01\n"
        ),
        "grupper.csv": (
            "Grupp;Grupptyp;Organisation;Skolform;Gruppstart;Gruppslut;Person;Roll;Startdatum\n"
            f"8Ö;Klass;14400001;GR;2026-07-01;2027-06-30;{first};;2026-08-17\n"
            f"8Ö;Klass;14400001;GR;2026-07-01;2027-06-30;{second};;2026-08-17\n"
            f"8Ö;Klass;14400001;GR;2026-07-01;2027-06-30;{staff_number};Mentor;2026-08-17\n"
        ),
    }


def _write_export(folder: Path, files: dict[str, str], encoding: str) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_bytes(text.encode(encoding))
    return folder


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_a_csv_export_in_another_encoding_reads_the_same(
    tenant_a: object, tmp_path: Path, encoding: str
) -> None:
    # Given the register imported from a UTF-8 CSV export
    files = _csv_export(
        [valid_personnummer(1), valid_personnummer(2)],
        valid_personnummer(3, year=1980),
        valid_personnummer(4, year=1981),
    )
    first = run_import(
        TENANT_A.slug, _write_export(tmp_path / "utf8", files, "utf-8"), source="csv"
    )
    assert (first.status, first.failure, first.error_count) == (ImportStatus.SUCCEEDED, "", 0)
    before = exact_snapshot(TENANT_A.slug)
    # When the same export arrives in another encoding (Windows-1252 from ProCapita, UTF-16
    # from Excel's "Unicode text", UTF-8 with a BOM from Excel's "CSV UTF-8")
    again = run_import(
        TENANT_A.slug, _write_export(tmp_path / encoding, files, encoding), source="csv"
    )
    # Then it reads exactly the same: nothing changed, no issue, every å, ä, ö and é intact
    assert (again.status, again.error_count, again.warning_count) == (ImportStatus.SUCCEEDED, 0, 0)
    assert diff(before, exact_snapshot(TENANT_A.slug)) == []
    assert all(set(c) <= {"read", "unchanged"} for k, c in again.counts.items() if "read" in c)
    with schema_context(TENANT_A.slug):
        names = set(Person.objects.values_list("given_name", "family_name"))
        groups = set(Group.objects.values_list("display_name", flat=True))
        relations = list(Responsible.objects.values_list("guardian__given_name", flat=True))
    assert names == {
        ("Åsa", "Öberg"), ("Zoë", "Ängström-Hedén"), ("Jörgen", "Öberg"), ("Märta", "Åkesson")
    }  # fmt: skip
    assert (groups, relations) == ({"8Ö"}, ["Jörgen"])


# --- A large file: memory follows the number of persons, not the size of the file ---------------

# Django starts once; each read then runs in a forked child of its own, so that its peak resident
# size (VmHWM, reset in the child before reading) belongs to that read alone. The source streams
# the file item by item; the reader COPYs into staging in batches of 5,000 rows.
_MEASURE_READS = """
import json, os, re, sys, django
django.setup()
from django.db import connection
from django_tenants.utils import schema_context
from integrations.pipeline.reader import Reader
from integrations.pipeline.staging import Stage
from integrations.records import Entity
from integrations.sources.ss12000_files import Ss12000FileSource

def status_kb(name):
    with open("/proc/self/status") as status:
        return int(re.search(name + r":\\s+(\\d+) kB", status.read())[1])

def measure(folder, schema):
    with schema_context(schema):
        stage = Stage()
        stage.create()
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets the peak to the current resident size
        start = status_kb("VmRSS")
        reader = Reader(stage=stage, live_hashes={e: {} for e in Entity}, admitted=set())
        result = reader.consume(Ss12000FileSource(folder, id_secret=b"s" * 32).read())
        peak = status_kb("VmHWM")
        stage.drop()
    return {"growth_kb": peak - start, "persons": stage.rows["s_person"],
            "errors": result.error_count}

schema = sys.argv[1]
for folder in sys.argv[2:]:
    connection.close()  # every child opens its own
    pid = os.fork()
    if pid == 0:
        print(json.dumps(measure(folder, schema)), flush=True)
        os._exit(0)
    _pid, status = os.waitpid(pid, 0)
    if status:
        sys.exit(f"measuring {folder} failed ({status})")
"""
UNIT_ID = "0e5a5d1e-7f43-4c8e-9d51-1c2b3a4d5e6f"


def _write_persons_bundle(folder: Path, persons: int, *, padding_chars: int = 0) -> int:
    """A bundle of ``persons`` pupils, each carrying ``padding_chars`` characters of data the
    import does not use (external identifiers); returns the persons file's size."""
    folder.mkdir()
    unit = {"id": UNIT_ID, "displayName": "Storskolan", "organisationType": "Skolenhet"}
    (folder / "organisations.json").write_text(json.dumps({"data": [unit]}))
    for name in ("groups.json", "duties.json"):
        (folder / name).write_text('{"data": []}')
    base = dt.date(2008, 1, 1)
    padding = ""
    if padding_chars:
        identifier = {"value": "å" * (padding_chars // 2), "context": "padding"}
        padding = ',"externalIdentifiers":' + json.dumps([identifier] * 2, ensure_ascii=False)
    path = folder / "persons.json"
    with path.open("w", encoding="utf-8") as out:
        out.write('{"data": [')
        for n in range(persons):
            born = base + dt.timedelta(days=n % 4000)
            body = f"{born:%y%m%d}{n // 4000:03d}"
            person = {
                "id": str(uuid.UUID(int=n + 1, version=4)),
                "givenName": "Åsa", "familyName": f"Öberg{n}",
                "civicNo": {"value": f"{born.year // 100}{body}{luhn_check_digit(body)}"},
                "birthDate": born.isoformat(),
                "emails": [{"value": f"elev{n}@skola.example", "type": "Skola elev"}],
                "enrolments": [{"enroledAt": {"id": UNIT_ID}, "schoolType": "GR",
                                "startDate": "2025-08-18", "schoolYear": 5}],
            }  # fmt: skip
            text = json.dumps(person, ensure_ascii=False)
            out.write(("," if n else "") + text[:-1] + padding + "}")
        out.write("]}")
    return path.stat().st_size


def _measure(folders: list[Path]) -> list[dict[str, int]]:
    import os
    import subprocess
    import sys

    from tests.worker import REPO_ROOT
    from tests.worker import test_database_url as database_url

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "platform")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE_READS, TENANT_B.slug, *map(str, folders)],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.strip().splitlines()[-len(folders) :]]


def test_a_large_persons_file_is_read_in_bounded_memory(tenant_b: object, tmp_path: Path) -> None:
    """Several hundred MB are too slow for every test run; this proves what makes them safe:
    the reader's peak memory does not grow with the file's size (the same 4,000 persons in
    1.5 MB and in 80+ MB peak alike) and grows with the number of persons by a small measured
    amount per person, printed for extrapolation."""
    sizes = {
        "few": _write_persons_bundle(tmp_path / "few", 4_000),
        "padded": _write_persons_bundle(tmp_path / "padded", 4_000, padding_chars=11_000),
        "many": _write_persons_bundle(tmp_path / "many", 12_000),
    }
    assert sizes["padded"] > 80 * 2**20 > 40 * sizes["few"]
    # When each is read and staged in a process of its own
    measured = dict(zip(sizes, _measure([tmp_path / name for name in sizes]), strict=True))
    # Then every person was staged, without errors
    assert [m["persons"] for m in measured.values()] == [4_000, 4_000, 12_000]
    assert all(m["errors"] == 0 for m in measured.values())
    # And 80 MB more input cost next to no memory: items are decoded one at a time
    growth = {name: m["growth_kb"] for name, m in measured.items()}
    extra_file_kb = (sizes["padded"] - sizes["few"]) // 1024
    assert growth["padded"] - growth["few"] < extra_file_kb // 20, (growth, extra_file_kb)
    # And what grows with the persons (the ids and civic numbers seen, for duplicates and for
    # "gone") stays small per person
    per_person = (growth["many"] - growth["few"]) * 1024 / 8_000
    assert per_person < 1_000, growth
    print(
        f"\nlarge file: 4,000 persons in {sizes['few'] / 2**20:.1f} MB: peak "
        f"+{growth['few'] / 1024:.1f} MB, in {sizes['padded'] / 2**20:.0f} MB: "
        f"+{growth['padded'] / 1024:.1f} MB; 12,000 persons: +{growth['many'] / 1024:.1f} MB, "
        f"{per_person:.0f} bytes per person: 500,000 persons (several hundred MB) would peak "
        f"about {(growth['few'] * 1024 + per_person * 496_000) / 2**20:.0f} MB above start-up"
    )

"""CSV/TSV register exports: the documented format, encodings, delimiters, row errors, ids.

Civic numbers in these fixtures fail the Luhn check on purpose: they cannot belong to anyone.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from integrations.records import (
    ActivityRecord,
    AssignmentRoleRecord,
    DutyRecord,
    EmailRecord,
    EnrolmentRecord,
    Entity,
    GroupRecord,
    MembershipRecord,
    OrganisationRecord,
    PersonRecord,
    ResponsibleRecord,
    SourceIssue,
    TeacherRecord,
)
from integrations.sources.csv_export import CsvExportSource
from integrations.sources.errors import SourceError
from integrations.sources.ids import StableIds, civic_key

FIXTURE = Path(__file__).parent / "fixtures" / "csv_export"
SECRET = b"tenant-ale-0123456789abcdef"
IDS = StableIds(SECRET)

MINIMAL = {
    "organisationer.csv": "namn;skolenhetskod\nBjörkskolan F-6;99990001\n",
    "elever.csv": "personnummer;förnamn;efternamn;skolenhet;skolform\n",
    "vardnadshavare.csv": "elev;personnummer;förnamn;efternamn\n",
    "personal.csv": "personnummer;förnamn;efternamn;arbetsplats;roll\n",
    "grupper.csv": "grupp;grupptyp;organisation\n",
}


def export(tmp_path: Path, files: Mapping[str, str | bytes] | None = None) -> Path:
    """A minimal export (one school unit, header-only files) with ``files`` replaced."""
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    for name, content in {**MINIMAL, **(files or {})}.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def read(path: Path, secret: bytes = SECRET) -> list[Any]:
    return list(CsvExportSource(path, id_secret=secret).read())


def of_type(items: list[Any], kind: type) -> list[Any]:
    return [i for i in items if isinstance(i, kind)]


def person_id(civic_no: str) -> uuid.UUID:
    return IDS.derive("person", civic_key(civic_no))


def org_id(code: str) -> uuid.UUID:
    return IDS.derive("organisation", code)


# -- the documented format, end to end -----------------------------------------------------


def test_the_sample_export_reads_into_linked_records() -> None:
    # Given the hand-written sample export (every file, semicolons, Swedish headers)
    source = CsvExportSource(FIXTURE, id_secret=SECRET)

    # When it is read
    items = list(source.read())

    # Then organisations come first, with parents linked although they come later in the file
    orgs = of_type(items, OrganisationRecord)
    assert [(o.display_name, o.organisation_type, o.parent_id) for o in orgs] == [
        ("Björkskolan F-6", "Skolenhet", org_id("BJS")),
        ("Exempelby kommun", "Huvudman", None),
        ("Björkskolan", "Skola", org_id("HM1")),
        ("Ekskolan 7-9", "Skolenhet", org_id("BJS")),
    ]
    assert orgs[0].school_types == ("FKLASS", "GR", "FTH")
    # ...the pupil's two rows (10- and 12-digit civic number) are one person with two
    # enrolments and both guardians
    persons = {p.given_name: p for p in of_type(items, PersonRecord)}
    asa = persons["Åsa"]
    assert asa.source_id == person_id("201012150001")
    assert asa.enrolments == (
        EnrolmentRecord(org_id("99990001"), "GR", dt.date(2017, 8, 15), school_year=6),
        EnrolmentRecord(org_id("99990001"), "FTH", dt.date(2017, 8, 15)),
    )
    maria_id = IDS.derive("guardian", str(asa.source_id), "maria", "öberg")
    assert asa.responsibles == (
        ResponsibleRecord(person_id("198003150004"), "Vårdnadshavare"),
        ResponsibleRecord(maria_id, "Vårdnadshavare"),
    )
    assert asa.emails == (EmailRecord("asa@elev.exempelby.test", "Skola elev"),)
    # ...a unit referred to by its organisation code resolves to the unit
    orjan = persons["Örjan"]
    assert (orjan.security_marking, orjan.enrolments[0].school_unit_id) == (
        "Sekretessmarkering",
        org_id("99990002"),
    )
    assert orjan.responsibles == (ResponsibleRecord(person_id("198003150004"), "Annan ansvarig"),)
    # ...the guardian of two pupils is one person
    assert [p.given_name for p in of_type(items, PersonRecord)].count("Jörgen") == 1
    # ...the teacher has a duty per workplace, the mentor role on the one at the group's school
    lena = persons["Lena"]
    duties = [d for d in of_type(items, DutyRecord) if d.person_id == lena.source_id]
    groups = {g.display_name: g for g in of_type(items, GroupRecord)}
    assert [(d.duty_at_id, d.duty_role, d.assignment_roles) for d in duties] == [
        (
            org_id("BJS"),
            "Lärare",
            (AssignmentRoleRecord(groups["6A"].source_id, "Mentor", dt.date(2024, 8, 19)),),
        ),
        (org_id("99990002"), "Förstelärare", ()),
    ]
    assert groups["6A"].memberships == (MembershipRecord(asa.source_id, dt.date(2024, 8, 19)),)
    assert (groups["6A"].start_date, groups["6A"].end_date) == (
        dt.date(2024, 7, 1),
        dt.date(2025, 6, 30),
    )
    # ...activities resolve groups by name and teachers to their duty at that organisation,
    # and take the subject code from the name when the column is empty
    activities = of_type(items, ActivityRecord)
    assert [
        (a.display_name, a.subject_code, a.group_ids, a.teachers, a.activity_type)
        for a in activities
    ] == [
        (
            "GRGRMAT01 6A",
            "GRGRMAT01",
            (groups["6A"].source_id, groups["Ma 6"].source_id),
            (TeacherRecord(duties[0].source_id),),
            "Undervisning",
        ),
        (
            "Svenska 7B",
            "GRGRSVE01",
            (groups["7B"].source_id,),
            (TeacherRecord(duties[1].source_id),),
            "Undervisning",
        ),
    ]
    # ...and the only issue is the guardian without a number
    assert [(i.severity, i.message, i.location) for i in of_type(items, SourceIssue)] == [
        (
            "warning",
            "no id or personnummer; id derived from the name and the pupil",
            "vardnadshavare.csv:3",
        )
    ]
    assert source.covered_entities == frozenset(Entity)


def test_a_zipped_export_in_a_folder_reads_the_same(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in FIXTURE.iterdir():
            z.write(path, f"Export 2024-09-03/{path.name}")
        z.writestr("Export 2024-09-03/LÄSMIG.txt", "hej")
    items = read(archive)
    assert of_type(items, ActivityRecord) == of_type(read(FIXTURE), ActivityRecord)
    assert of_type(items, SourceIssue)[0] == SourceIssue(
        "warning", None, "", "file not recognised; ignored", "Export 2024-09-03/LÄSMIG.txt"
    )


# -- encodings and delimiters --------------------------------------------------------------

NAMES = "20101215-0001;Åsa;Öberg-Ängström;99990001;GR\n20110420-0002;Étienne;Müller;99990001;GR\n"


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "cp1252", "iso-8859-1", "utf-16"], ids=str
)
def test_swedish_letters_survive_every_export_encoding(tmp_path: Path, encoding: str) -> None:
    # Given elever.csv written by a register in ``encoding`` (utf-8-sig and utf-16 with a BOM)
    content = (MINIMAL["elever.csv"] + NAMES).encode(encoding)
    assert (encoding not in ("cp1252", "iso-8859-1")) or b"\xc5sa" in content  # Å = 0xC5

    # When read
    persons = of_type(read(export(tmp_path, {"elever.csv": content})), PersonRecord)

    # Then the names are intact
    assert [(p.given_name, p.family_name) for p in persons] == [
        ("Åsa", "Öberg-Ängström"),
        ("Étienne", "Müller"),
    ]


def test_the_encoding_is_decided_over_the_whole_file(tmp_path: Path) -> None:
    # Given a Windows-1252 file whose first 200 000 bytes are plain ASCII
    filler = "".join(f"20101215-{n:04d};Anna;Berg;99990001;GR\n" for n in range(6000))
    content = MINIMAL["elever.csv"] + filler + "20110420-0002;Örjan;Ådahl;99990001;GR\n"
    data = content.encode("cp1252")
    assert len(data) > 200_000

    # When read
    persons = of_type(read(export(tmp_path, {"elever.csv": data})), PersonRecord)

    # Then the last name is not mangled
    assert (persons[-1].given_name, persons[-1].family_name) == ("Örjan", "Ådahl")


def test_a_byte_undefined_in_windows_1252_falls_back_to_latin_1(tmp_path: Path) -> None:
    data = (MINIMAL["elever.csv"] + "20101215-0001;Åsa;Öberg\x81;99990001;GR\n").encode("latin-1")
    persons = of_type(read(export(tmp_path, {"elever.csv": data})), PersonRecord)
    assert persons[0].family_name == "Öberg\x81"


@pytest.mark.parametrize("delimiter", [";", ",", "\t"], ids=["semicolon", "comma", "tab"])
def test_the_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    # Given elever in ``delimiter``-separated form, with a quoted name holding the others
    rows = [
        ["personnummer", "förnamn", "efternamn", "skolenhet", "skolform"],
        ["20101215-0001", "Åsa", '"Öberg; af, Ström"', "99990001", "GR"],
    ]
    text = "".join(delimiter.join(r) + "\r\n" for r in rows)
    name = "elever.tsv" if delimiter == "\t" else "elever.csv"
    folder = export(tmp_path)
    (folder / "elever.csv").unlink()
    (folder / name).write_text(text, encoding="utf-8")

    # When read
    persons = of_type(read(folder), PersonRecord)

    # Then the row is split on the sniffed delimiter only
    assert [(p.given_name, p.family_name, p.enrolments[0].school_type) for p in persons] == [
        ("Åsa", "Öberg; af, Ström", "GR")
    ]


# -- errors --------------------------------------------------------------------------------


def test_a_missing_required_column_fails_the_file(tmp_path: Path) -> None:
    folder = export(tmp_path, {"elever.csv": "personnummer;förnamn;efternamn;skolenhet\n"})
    with pytest.raises(SourceError, match=r"^elever\.csv: missing required columns: skolform$"):
        read(folder)


def test_a_file_without_any_identifying_column_fails(tmp_path: Path) -> None:
    folder = export(tmp_path, {"personal.csv": "förnamn;efternamn;arbetsplats;roll\n"})
    with pytest.raises(
        SourceError, match=r"^personal\.csv: missing required columns: id or personnummer$"
    ):
        read(folder)


def test_a_missing_file_fails_the_export(tmp_path: Path) -> None:
    folder = export(tmp_path)
    (folder / "grupper.csv").unlink()
    with pytest.raises(SourceError, match=r"^export: missing files: grupper$"):
        CsvExportSource(folder, id_secret=SECRET)


def test_bad_rows_become_errors_with_their_line_and_the_rest_is_read(tmp_path: Path) -> None:
    # Given elever.csv with a multi-line quoted name, a bad date, a missing surname, a row
    # with an extra cell, an unknown school unit and a good row at the end
    content = (
        "personnummer;förnamn;efternamn;skolenhet;skolform;startdatum\n"  # line 1
        '20101215-0001;"Anna\nLisa";Berg;99990001;GR;2024-08-19\n'  # lines 2-3
        "20110420-0002;Bo;Ek;99990001;GR;2024-13-01\n"  # line 4
        "20100909-0003;Cia;;99990001;GR;\n"  # line 5
        "20090101-0007;Dan;Ek;99990001;GR;;oops\n"  # line 6
        "\n"  # line 7, blank
        "20090202-0008;Eva;Ek;99999999;GR;\n"  # line 8
        "20120101-0009;Fia;Ek;99990001;gr;20240819\n"  # line 9
    )

    # When read
    items = read(export(tmp_path, {"elever.csv": content}))

    # Then each bad row is an error naming file:line (no civic number), the rest are persons
    issues = of_type(items, SourceIssue)
    assert [(i.severity, i.location, i.message) for i in issues] == [
        ("error", "elever.csv:4", "invalid date in startdatum: 2024-13-01; row skipped"),
        ("error", "elever.csv:5", "required value missing: efternamn; row skipped"),
        (
            "error",
            "elever.csv:6",
            "1 more cells than columns (an unquoted delimiter?); row skipped",
        ),
        ("warning", "elever.csv:8", "unknown school unit; enrolment left out"),
    ]
    assert issues[0].source_id == str(person_id("201104200002"))
    assert "1104200002" not in repr(issues)
    assert "1009090003" not in repr(issues)
    persons = of_type(items, PersonRecord)
    assert [(p.given_name, len(p.enrolments)) for p in persons] == [
        ("Anna\nLisa", 1),
        ("Eva", 0),
        ("Fia", 1),
    ]
    # a known value in another case is written the standard's way
    assert persons[2].enrolments[0] == EnrolmentRecord(
        org_id("99990001"), "GR", dt.date(2024, 8, 19)
    )


def test_groups_and_activities_that_cannot_be_placed_are_reported(tmp_path: Path) -> None:
    # Given two "7A" classes of different years, a group at an unknown unit, a mentor without
    # a duty, and activities naming the ambiguous class, an unknown class and a teacher
    # who is not staff
    files = {
        "elever.csv": MINIMAL["elever.csv"] + "20101215-0001;Åsa;Öberg;99990001;GR\n",
        "grupper.csv": (
            "grupp_id;grupp;grupptyp;organisation;gruppstart;person;roll\n"
            "g-2023;7A;Klass;99990001;2023-07-01;;\n"
            ";7A;Klass;99990001;2024-07-01;20101215-0001;Elev\n"
            ";8A;Klass;12345678;2024-07-01;;\n"
            ";7A;Klass;99990001;2024-07-01;20101215-0001;Mentor\n"
            ";7A;Klass;99990001;2024-07-01;19000101-0000;\n"
        ),
        "aktiviteter.csv": (
            "aktivitet_id;namn;organisation;grupper;lärare\n"
            "a1;Matte;99990001;7A|9Z|g-2023;20101215-0001\n"
        ),
    }

    # When read
    items = read(export(tmp_path, files))

    # Then
    issues = of_type(items, SourceIssue)
    assert [(i.severity, i.location, i.message, i.details) for i in issues] == [
        ("error", "grupper.csv:4", "unknown organisation; row skipped", {}),
        (
            "warning",
            "grupper.csv:5",
            "the person has no duty in personal; role left out",
            {"column": "roll"},
        ),
        ("warning", "grupper.csv:6", "unknown person; membership left out", {"column": "person"}),
        (
            "warning",
            "aktiviteter.csv:2",
            "ambiguous group name; use grupp_id; group left out",
            {"column": "grupper", "value": "7A"},
        ),
        (
            "warning",
            "aktiviteter.csv:2",
            "unknown group; group left out",
            {"column": "grupper", "value": "9Z"},
        ),
        (
            "warning",
            "aktiviteter.csv:2",
            "teacher not found in personal; left out",
            {"column": "larare"},
        ),
    ]
    groups = of_type(items, GroupRecord)
    assert [(g.display_name, g.start_date, len(g.memberships)) for g in groups] == [
        ("7A", dt.date(2023, 7, 1), 0),
        ("7A", dt.date(2024, 7, 1), 1),
    ]
    (activity,) = of_type(items, ActivityRecord)
    assert activity.group_ids == (groups[0].source_id,)  # found by grupp_id


# -- ids and personal data -----------------------------------------------------------------


def test_ids_are_keyed_by_the_tenant_secret_and_do_not_expose_civic_numbers(
    tmp_path: Path,
) -> None:
    folder = export(
        tmp_path, {"elever.csv": MINIMAL["elever.csv"] + "201012150001;Åsa;Öberg;99990001;GR\n"}
    )
    (mine,) = of_type(read(folder), PersonRecord)
    (other,) = of_type(read(folder, secret=b"tenant-boras-0123456789abcdef"), PersonRecord)

    assert mine.source_id == person_id("20101215-0001") == person_id("1012150001")
    assert mine.source_id != other.source_id
    assert mine.source_id.version == 8  # RFC 9562 custom: HMAC-SHA256, not a plain uuid5
    assert mine.source_id != uuid.uuid5(uuid.NAMESPACE_OID, "1012150001")


def test_a_short_or_missing_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CsvExportSource(export(tmp_path), id_secret=b"short")


def test_an_exported_id_wins_over_the_civic_number(tmp_path: Path) -> None:
    # Given a register that exports its own person ids (they survive a civic-number change)
    files = {
        "elever.csv": "id;personnummer;förnamn;efternamn;skolenhet;skolform\n"
        "E-1001;20101215-0001;Åsa;Öberg;99990001;GR\n",
        "grupper.csv": "grupp;grupptyp;organisation;person\n1A;Klass;99990001;20101215-0001\n",
    }
    items = read(export(tmp_path, files))
    (person,) = of_type(items, PersonRecord)
    (group,) = of_type(items, GroupRecord)
    assert person.source_id == IDS.derive("person-id", "E-1001")
    assert group.memberships[0].person_id == person.source_id  # referred to by civic number


def test_the_most_restrictive_security_marking_wins_across_files(tmp_path: Path) -> None:
    # Given a guardian who is also staff, protected only according to the staff file
    files = {
        "elever.csv": MINIMAL["elever.csv"] + "20101215-0001;Åsa;Öberg;99990001;GR\n",
        "vardnadshavare.csv": "elev;personnummer;förnamn;efternamn;sekretessmarkering\n"
        "20101215-0001;19800315-0004;Jörgen;Öberg;Nej\n",
        "personal.csv": "personnummer;förnamn;efternamn;arbetsplats;roll;sekretessmarkering\n"
        "19800315-0004;Jörgen;Öberg;99990001;Lärare;skyddad folkbokföring\n",
    }
    persons = {p.given_name: p for p in of_type(read(export(tmp_path, files)), PersonRecord)}
    assert persons["Jörgen"].security_marking == "Skyddad folkbokföring"
    assert persons["Jörgen"].emails == ()

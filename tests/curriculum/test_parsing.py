"""Skolverket's subject JSON (with HTML fragments) read into plain-text records with keys."""

from __future__ import annotations

import datetime as dt

from curriculum.sources.html_text import Block, html_blocks, html_list_items, html_to_text
from curriculum.sources.parsing import curriculum_for, subject_from_json, text_digest
from tests.curriculum.support import grgrmat01, mat, new_version

# --- HTML fragments --------------------------------------------------------------------------


def test_html_is_read_as_headings_paragraphs_and_items() -> None:
    # Given a fragment like Skolverket's central content
    html = (
        "<h4>Algebra</h4><ul><li>Likheter.</li><li>Obekanta  tal\n och <em>symboler</em>.</li></ul>"
    )
    # When it is read
    blocks = html_blocks(html)
    # Then tags are dropped, whitespace collapsed, and the list split into items
    assert blocks == [
        Block("heading", "Algebra"),
        Block("item", "Likheter."),
        Block("item", "Obekanta tal och symboler."),
    ]


def test_entities_are_decoded_and_scripts_and_styles_dropped() -> None:
    html = (
        "<p>A &amp; B &auml;r &#229;tta&nbsp;tal</p><script>alert('x')</script><style>p{}</style>"
    )
    assert html_to_text(html) == "A & B är åtta tal"


def test_a_paragraph_that_is_only_bold_is_a_section_heading() -> None:
    # Given a GY course plan, whose sections are titled by bold paragraphs
    html = (
        "<h4>Undervisningen ska behandla:</h4><p><strong>Geometri </strong></p> <ul> <li>Cirklar."
        "</li> </ul><p>Vanlig text med <strong>fetstil</strong>.</p>"
    )
    # When its items are read
    items = html_list_items(html)
    # Then the item stands under the bold paragraph; mixed paragraphs stay paragraphs
    assert [(i.section, i.text) for i in items] == [("Geometri", "Cirklar.")]
    assert html_blocks(html)[-1] == Block("paragraph", "Vanlig text med fetstil.")


def test_nested_lists_and_unclosed_tags_are_tolerated() -> None:
    html = "<ul><li>Yttre <ul><li>Inre</li></ul></li><li>Sista<p>stycke"
    assert [b.text for b in html_blocks(html)] == ["Yttre", "Inre", "Sista stycke"]


def test_content_without_a_list_is_one_item_per_paragraph() -> None:
    items = html_list_items("<h4>Rubrik</h4><p>Ett.</p><p>Två.</p>")
    assert [(i.section, i.text) for i in items] == [("Rubrik", "Ett."), ("Rubrik", "Två.")]


def test_text_renders_items_as_lines_and_blocks_apart() -> None:
    assert html_to_text("<p>Syfte:</p><ul><li>ett,</li><li>två.</li></ul><p>Slut.</p>") == (
        "Syfte:\n\n- ett,\n- två.\n\nSlut."
    )


def test_anything_but_a_string_is_no_text() -> None:
    assert html_blocks(None) == []
    assert html_to_text(42) == ""


# --- Subjects ----------------------------------------------------------------------------------


def test_a_gr_subject_is_read_with_its_metadata() -> None:
    # Given a GR subject answer shaped like GET /v1/subjects/GRGRMAT01
    # When it is parsed
    record, issues = subject_from_json(grgrmat01(), origin="test")
    # Then the natural key, names, dates and the derived curriculum are there
    assert issues == []
    assert record is not None
    assert (record.code, record.version, record.name) == ("GRGRMAT01", 14, "Matematik")
    assert record.school_types == ("GR", "SAM")
    assert record.curriculum == "LGR22"
    assert record.valid_from == dt.date(2022, 7, 1)
    assert record.valid_to is None
    assert record.modified_on == dt.date(2024, 2, 9)
    assert record.description == "Testtext om ämnet & dess historia."
    assert record.purpose.endswith("- förmåga att använda begrepp,\n- förmåga att lösa problem.")


def test_central_content_is_split_into_ordered_items_per_year_span() -> None:
    record, _ = subject_from_json(grgrmat01(), origin="test")
    assert record is not None
    items = record.central_content
    # Then each <li> is an item, numbered in order, under its heading and year span
    assert [(i.position, i.year_span, i.section) for i in items] == [
        (1, "1-3", "Taluppfattning och tals användning"),
        (2, "1-3", "Taluppfattning och tals användning"),
        (3, "1-3", "Algebra"),
        (4, "7-9", "Algebra"),  # the en dash of the fixture is normalised
        (5, "7-9", "Algebra"),
    ]
    assert items[1].text == "Positionssystemet för naturliga tal."
    assert items[4].text == "Variabler i uttryck och formler."
    # And keys name the span and digest the wording
    assert items[0].key == f"cc.1-3.{text_digest(items[0].text)}"
    assert len({i.key for i in items}) == len(items)


def test_knowledge_requirements_are_keyed_by_year_and_grade_step() -> None:
    record, _ = subject_from_json(grgrmat01(), origin="test")
    assert record is not None
    requirements = record.knowledge_requirements
    assert [r.key for r in requirements] == ["kr.3.acceptable", "kr.6.E", "kr.6.D", "kr.9.E"]
    e6 = requirements[1]
    assert (e6.year, e6.grade_step) == ("6", "E")
    assert e6.heading == "Betygskriterier för betyget E i slutet av årskurs 6"
    assert (
        e6.text == "Eleven visar grundläggande kunskaper om begrepp.\n\nEleven löser enkla problem."
    )
    assert requirements[0].grade_step == ""


def test_a_gy_subject_is_read_with_its_courses() -> None:
    # Given a GY subject with courses (centralContent is one object per course)
    record, issues = subject_from_json(mat(), origin="test")
    assert issues == []
    assert record is not None
    assert record.curriculum == "GY11"
    course, bare = record.courses
    # Then the course has its points, content items under their bold headings, and criteria
    assert (course.code, course.name, course.points, course.sort_order) == (
        "MATMAT01c",
        "Matematik 1c",
        100,
        3,
    )
    assert [(i.section, i.text) for i in course.central_content] == [
        ("Taluppfattning, aritmetik och algebra", "Egenskaper hos heltal."),
        ("Taluppfattning, aritmetik och algebra", "Linjära olikheter."),
        ("Sannolikhet och statistik", "Beroende och oberoende händelser."),
    ]
    assert all(i.key.startswith("cc.") and i.year_span == "" for i in course.central_content)
    assert [r.key for r in course.knowledge_requirements] == ["kr.E", "kr.D", "kr.C"]
    assert course.knowledge_requirements[0].text == (
        "Eleven beskriver grundläggande begrepp.\n\nEleven löser enkla problem."
    )
    # And a course without content is still a course
    assert (bare.code, bare.central_content, bare.knowledge_requirements) == ("MATMAT02c", (), ())


def test_missing_and_odd_fields_fall_back_to_empty() -> None:
    # Given a subject with little more than its key, and odd types where lists are expected
    payload = {
        "subject": {
            "code": "GRGRXYZ01",
            "version": "3",
            "schoolTypes": "GR",
            "centralContents": {"text": "<ul><li>Ett.</li></ul>", "year": 4},
            "knowledgeRequirements": None,
            "courses": [{"name": "utan kod"}],
            "startDate": "inte ett datum",
        }
    }
    # When it is parsed
    record, issues = subject_from_json(payload, origin="odd.json")
    # Then it is kept with defaults, and the course without a code is reported
    assert record is not None
    assert (record.code, record.version, record.name) == ("GRGRXYZ01", 3, "GRGRXYZ01")
    assert record.school_types == ()
    assert record.valid_from is None
    assert [(i.year_span, i.text) for i in record.central_content] == [("4", "Ett.")]
    assert record.knowledge_requirements == ()
    assert record.courses == ()
    assert issues == ["odd.json: course 1 has no code; skipped"]


def test_a_subject_without_code_or_version_is_skipped() -> None:
    assert subject_from_json({"subject": {"code": "MAT"}}, origin="a")[0] is None
    assert subject_from_json({"subject": {"version": 1}}, origin="b")[0] is None
    record, issues = subject_from_json(["not", "a", "subject"], origin="c")
    assert record is None
    assert issues == ["c: no subject object"]


def test_an_unchanged_wording_keeps_its_key_in_the_next_version() -> None:
    # Given version 15, where one 1-3 item is reworded and the rest is unchanged
    payload = grgrmat01()
    v15 = new_version(payload, 15)
    first = v15["subject"]["centralContents"][0]
    first["text"] = first["text"].replace("Likhetstecknets betydelse.", "Likhetstecknet.")
    old, _ = subject_from_json(payload, origin="v14")
    new, _ = subject_from_json(v15, origin="v15")
    assert old is not None
    assert new is not None
    # Then unchanged items have the same keys and the reworded one a new key
    old_keys = [i.key for i in old.central_content]
    new_keys = [i.key for i in new.central_content]
    assert old_keys[:2] == new_keys[:2]
    assert old_keys[3:] == new_keys[3:]
    assert old_keys[2] != new_keys[2]


def test_identical_items_in_one_span_get_distinct_keys() -> None:
    payload = {"subject": {"code": "X", "version": 1, "centralContents": [
        {"year": "1-3", "text": "<ul><li>Samma.</li><li>Samma.</li></ul>"}
    ]}}  # fmt: skip
    record, _ = subject_from_json(payload, origin="dup")
    assert record is not None
    first, second = (i.key for i in record.central_content)
    assert second == f"{first}-2"


def test_the_curriculum_follows_school_type_and_dates() -> None:
    assert curriculum_for(school_types=("GR",), type_of_syllabus="", valid_from=None) == ""
    lgr11 = curriculum_for(
        school_types=("GR",), type_of_syllabus="", valid_from=dt.date(2018, 7, 1)
    )
    assert lgr11 == "LGR11"
    gy25 = curriculum_for(
        school_types=("GY",), type_of_syllabus="GRADE_SUBJECT_SYLLABUS", valid_from=None
    )
    assert gy25 == "GY25"
    assert curriculum_for(school_types=("VUXGR",), type_of_syllabus="", valid_from=None) == "LVUX12"

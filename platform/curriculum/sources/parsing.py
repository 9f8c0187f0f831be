"""Skolverket's subject JSON (``GET /v1/subjects/{code}``, schema ``Subject``) as records.

Tolerant by design: Skolverket omits fields that have no value ("Fält som inte har värden visas
inte i svaren"), so every field may be missing or of an unexpected type. Only a subject without
a code or a version is skipped (it has no natural key); everything else falls back to empty.
Rich-text fields are HTML fragments and are turned into plain text (``html_text``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from curriculum.sources.html_text import clean, html_blocks, html_list_items, html_to_text
from curriculum.sources.records import ContentItem, CourseRecord, RequirementItem, SubjectRecord

KEY_MAX_LENGTH = 120
_KEY_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_SPAN_UNSAFE = re.compile(r"[^0-9A-Za-z-]+")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})

# Lgr22 replaced Lgr11 on 2022-07-01.
LGR22_START = dt.date(2022, 7, 1)
# GY25: subjects with levels (nivåer) instead of courses.
GY25_TYPES = frozenset({"GRADE_SUBJECT_SYLLABUS", "GRADE_SUBJECT_AREA_SYLLABUS"})


# --- Tolerant field readers ------------------------------------------------------------------


def text_of(value: Any) -> str:
    return clean(value) if isinstance(value, str) else ""


def int_of(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def date_of(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def dicts_of(value: Any) -> list[Mapping[str, Any]]:
    """A list of objects; a single object is a list of one (a course's ``centralContent``)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def codes_of(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    out: list[str] = []
    for v in value:
        if isinstance(v, str) and v.strip() and v.strip().upper() not in out:
            out.append(v.strip().upper())
    return tuple(out)


def year_span_of(value: Any) -> str:
    """ "1-3", "1 - 3" and the same with an en dash all become "1-3"; a number is itself."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        return ""
    return _SPAN_UNSAFE.sub("", value.translate(_DASHES))[:16]


# --- Keys ------------------------------------------------------------------------------------


def _key_part(value: str) -> str:
    return _KEY_UNSAFE.sub("_", value.lower()).strip("_")


def text_digest(text: str) -> str:
    """Ten hex digits of SHA-256 over the item's normalised wording."""
    normalised = unicodedata.normalize("NFC", clean(text))
    return hashlib.sha256(normalised.encode()).hexdigest()[:10]


def _unique(key: str, taken: set[str]) -> str:
    key = key[:KEY_MAX_LENGTH]
    candidate, n = key, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = key[: KEY_MAX_LENGTH - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def content_key(*, year_span: str, content_type: str, text: str) -> str:
    parts = ["cc", year_span, _key_part(content_type), text_digest(text)]
    return ".".join(p for p in parts if p)


def requirement_key(
    *, year: str, grade_step: str, requirement_type: str, aspect: str, text: str
) -> str:
    step = grade_step or ("acceptable" if year else "")
    parts = ["kr", year, step, _key_part(requirement_type), _key_part(aspect)]
    if not year and not step:
        parts.append(text_digest(text))  # nothing else tells it apart
    return ".".join(p for p in parts if p)


# --- Central content and knowledge requirements --------------------------------------------


def central_content_items(entries: Iterable[Mapping[str, Any]]) -> tuple[ContentItem, ...]:
    """Every entry's HTML list split into items, numbered in order, keyed by their wording."""
    items: list[ContentItem] = []
    taken: set[str] = set()
    for entry in entries:
        year_span = year_span_of(entry.get("year"))
        content_type = text_of(entry.get("typeOfCentralContent"))
        for item in html_list_items(entry.get("text")):
            key = content_key(year_span=year_span, content_type=content_type, text=item.text)
            items.append(
                ContentItem(
                    key=_unique(key, taken),
                    year_span=year_span,
                    section=item.section[:300],
                    position=len(items) + 1,
                    text=item.text,
                    content_type=content_type[:60],
                )
            )
    return tuple(items)


def knowledge_requirement_items(
    entries: Iterable[Mapping[str, Any]],
) -> tuple[RequirementItem, ...]:
    """One item per entry: its first heading, and the rest of its text as paragraphs."""
    items: list[RequirementItem] = []
    taken: set[str] = set()
    for entry in entries:
        html = entry.get("text")
        blocks = html_blocks(html)
        heading = blocks[0].text if blocks and blocks[0].kind == "heading" else ""
        body = html_to_text(html)
        if heading:
            body = body[len(heading) :].lstrip("\n")
        aspect_desc = html_to_text(entry.get("aspectDesc"))
        if aspect_desc:
            body = f"{aspect_desc}\n\n{body}" if body else aspect_desc
        if not body and not heading:
            continue
        year = year_span_of(entry.get("year"))
        grade_step = re.sub(r"[^A-Z0-9+-]", "", text_of(entry.get("gradeStep")).upper())[:8]
        requirement_type = text_of(entry.get("typeOfRequirement"))
        aspect = text_of(entry.get("aspectType"))
        key = requirement_key(
            year=year,
            grade_step=grade_step,
            requirement_type=requirement_type,
            aspect=aspect,
            text=body or heading,
        )
        items.append(
            RequirementItem(
                key=_unique(key, taken),
                year=year,
                grade_step=grade_step,
                heading=(heading or text_of(entry.get("aspectName")))[:300],
                position=len(items) + 1,
                text=body or heading,
                requirement_type=requirement_type[:60],
            )
        )
    return tuple(items)


# --- Subjects and courses --------------------------------------------------------------------


def curriculum_for(
    *, school_types: tuple[str, ...], type_of_syllabus: str, valid_from: dt.date | None
) -> str:
    """The curriculum a syllabus belongs to, as far as Skolverket's fields tell.

    GR syllabi: LGR22 from 2022-07-01, LGR11 before. GY: GY25 for subjects with levels, GY11
    for subjects with courses. Adult education: LVUX12. Anything else: "" (unknown).
    """
    types = set(school_types)
    if "GR" in types:
        if valid_from is None:
            return ""
        return "LGR22" if valid_from >= LGR22_START else "LGR11"
    if types & {"GY", "GYAN"}:
        return "GY25" if type_of_syllabus in GY25_TYPES else "GY11"
    if any(t.startswith("VUX") for t in types):
        return "LVUX12"
    return ""


def course_from_json(course: Mapping[str, Any], index: int) -> CourseRecord | None:
    code = text_of(course.get("code"))
    if not code:
        return None
    sort_order = int_of(course.get("sortOrder"))
    return CourseRecord(
        code=code[:32],
        name=(text_of(course.get("name")) or code)[:300],
        english_name=text_of(course.get("englishName"))[:300],
        points=int_of(course.get("points")),
        sort_order=sort_order if sort_order is not None else index,
        description=html_to_text(course.get("description")),
        central_content=central_content_items(dicts_of(course.get("centralContent"))),
        knowledge_requirements=knowledge_requirement_items(
            dicts_of(course.get("knowledgeRequirements"))
        ),
    )


def unwrap_subject(payload: Any) -> Mapping[str, Any] | None:
    """The subject of a ``SubjectResponse`` envelope, or ``payload`` if it is a bare subject."""
    if isinstance(payload, Mapping):
        inner = payload.get("subject")
        if isinstance(inner, Mapping):
            return inner
        if "code" in payload:
            return payload
    return None


def subject_from_json(payload: Any, *, origin: str) -> tuple[SubjectRecord | None, list[str]]:
    """The subject record in ``payload`` and the issues found; None when it cannot be keyed.

    ``origin`` names where the payload came from, for the issues.
    """
    issues: list[str] = []
    subject = unwrap_subject(payload)
    if subject is None:
        return None, [f"{origin}: no subject object"]
    code = text_of(subject.get("code"))
    version = int_of(subject.get("version"))
    if not code or version is None:
        return None, [f"{origin}: the subject has no code or no version; skipped"]
    school_types = codes_of(subject.get("schoolTypes"))
    type_of_syllabus = text_of(subject.get("typeOfSyllabus"))
    valid_from = date_of(subject.get("startDate"))
    courses: list[CourseRecord] = []
    seen: set[str] = set()
    for index, course_json in enumerate(dicts_of(subject.get("courses")), start=1):
        course = course_from_json(course_json, index)
        if course is None:
            issues.append(f"{origin}: course {index} has no code; skipped")
        elif course.code in seen:
            issues.append(f"{origin}: course {course.code} appears twice; the first is kept")
        else:
            seen.add(course.code)
            courses.append(course)
    record = SubjectRecord(
        code=code[:32],
        version=version,
        name=(text_of(subject.get("name")) or code)[:300],
        english_name=text_of(subject.get("englishName"))[:300],
        school_types=school_types,
        type_of_syllabus=type_of_syllabus[:40],
        curriculum=(
            text_of(subject.get("curriculum")).upper()[:16]
            or curriculum_for(
                school_types=school_types,
                type_of_syllabus=type_of_syllabus,
                valid_from=valid_from,
            )
        ),
        valid_from=valid_from,
        valid_to=date_of(subject.get("endDate")),
        modified_on=date_of(subject.get("modifiedDate")),
        description=html_to_text(subject.get("description")),
        purpose=html_to_text(subject.get("purpose")),
        central_content=central_content_items(dicts_of(subject.get("centralContents"))),
        knowledge_requirements=knowledge_requirement_items(
            dicts_of(subject.get("knowledgeRequirements"))
        ),
        courses=tuple(courses),
    )
    return record, issues

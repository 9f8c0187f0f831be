"""Reading curriculum reference data, and resolving the (code, version, key) references that
tenant tables store as text.

"Valid on a date" follows Skolverket's own rule for its ``date`` parameter: of the versions that
have started (``valid_from <= date``) and not ended (``valid_to`` empty or ``>= date``), the one
with the latest start, and of those the highest version number.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from curriculum.models import CentralContent, Course, KnowledgeRequirement, Subject

ALL_VERSIONS = "all"


def _valid_on_q(on: dt.date) -> Q:
    started = Q(valid_from__isnull=True) | Q(valid_from__lte=on)
    not_ended = Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    return started & not_ended


def _latest_first(subjects: QuerySet[Subject]) -> QuerySet[Subject]:
    return subjects.order_by(F("valid_from").desc(nulls_last=True), "-version")


def subject_version_on(*, code: str, on: dt.date) -> Subject | None:
    """The version of subject (or course) ``code`` valid on ``on``, or None.

    For a course code (``MATMAT01c``) it is the version of the course's subject.
    """
    subjects = Subject.objects.filter(_valid_on_q(on))
    subject = _latest_first(subjects.filter(code=code)).first()
    if subject is None:
        course_subjects = subjects.filter(courses__code=code, courses__retired_at__isnull=True)
        subject = _latest_first(course_subjects).first()
    return subject


def subject_list(
    *,
    school_type: str = "",
    search: str = "",
    version: int | str | None = None,
    on: dt.date | None = None,
) -> QuerySet[Subject]:
    """Subjects ordered by name: for each code the version valid ``on`` (today by default),
    or exactly ``version``, or every version side by side (``version="all"``).

    ``school_type`` keeps those Skolverket lists for that school type (GR, GY, ...); ``search``
    matches every word against the code, the name or a course's code or name.
    """
    subjects = Subject.objects.all()
    if school_type:
        subjects = subjects.filter(school_types__contains=[school_type.upper()])
    for word in search.split()[:5]:
        subjects = subjects.filter(
            Q(code__icontains=word)
            | Q(name__icontains=word)
            | Q(courses__code__icontains=word, courses__retired_at__isnull=True)
            | Q(courses__name__icontains=word, courses__retired_at__isnull=True)
        )
    if version == ALL_VERSIONS:
        pass
    elif version is not None:
        subjects = subjects.filter(version=int(version))
    else:
        valid = subjects.filter(_valid_on_q(on or timezone.localdate()))
        one_per_code = (
            valid.order_by("code", F("valid_from").desc(nulls_last=True), "-version")
            .distinct("code")
            .values("pk")
        )
        subjects = Subject.objects.filter(pk__in=one_per_code)
    courses = Course.objects.filter(retired_at__isnull=True).order_by("sort_order", "code")
    return (
        Subject.objects.filter(pk__in=subjects.values("pk"))
        .prefetch_related(Prefetch("courses", queryset=courses, to_attr="current_courses"))
        .order_by("name", "code", "version")
    )


def subject_detail(*, code: str, version: int | None = None, on: dt.date | None = None) -> Subject:
    """One subject version with its current courses, central content and knowledge
    requirements (retired items left out), prefetched: ``version`` exactly, else the version
    valid ``on`` (today by default). Raises ``Subject.DoesNotExist``.

    Prefetched as ``content_items``/``requirement_items`` (the subject's own, not its courses')
    and ``current_courses``, each course with ``content_items``/``requirement_items``.
    """
    if version is not None:
        subjects = Subject.objects.filter(code=code, version=version)
    else:
        valid = Subject.objects.filter(_valid_on_q(on or timezone.localdate()), code=code)
        subjects = _latest_first(valid)
    content = CentralContent.objects.filter(retired_at__isnull=True).order_by("position")
    requirements = KnowledgeRequirement.objects.filter(retired_at__isnull=True).order_by("position")
    courses = (
        Course.objects.filter(retired_at__isnull=True)
        .order_by("sort_order", "code")
        .prefetch_related(
            Prefetch("central_content", queryset=content, to_attr="content_items"),
            Prefetch("knowledge_requirements", queryset=requirements, to_attr="requirement_items"),
        )
    )
    subject = subjects.prefetch_related(
        Prefetch(
            "central_content",
            queryset=content.filter(course__isnull=True),
            to_attr="content_items",
        ),
        Prefetch(
            "knowledge_requirements",
            queryset=requirements.filter(course__isnull=True),
            to_attr="requirement_items",
        ),
        Prefetch("courses", queryset=courses, to_attr="current_courses"),
    ).first()
    if subject is None:
        raise Subject.DoesNotExist(f"no subject {code}")
    return subject


def subject_versions(*, code: str) -> QuerySet[Subject]:
    """Every version of ``code`` held, newest first."""
    return _latest_first(Subject.objects.filter(code=code))


def syllabus_resolve(*, code: str, version: str | int) -> Subject | Course | None:
    """The subject or course a stored (code, version) names, or None."""
    number = _version_number(version)
    if number is None:
        return None
    subject = Subject.objects.filter(code=code, version=number).first()
    if subject is not None:
        return subject
    return Course.objects.filter(code=code, version=number).select_related("subject").first()


def reference_resolve(
    *, code: str, version: str | int, key: str
) -> CentralContent | KnowledgeRequirement | None:
    """The central-content item or knowledge requirement a document stored as text, or None.

    ``code`` is the subject's or the course's code, ``version`` the version number as text,
    ``key`` the item's key (``cc.…`` or ``kr.…``). Retired items resolve too: a document keeps
    pointing at what it was written against.
    """
    number = _version_number(version)
    if number is None or not key:
        return None
    model: type[CentralContent] | type[KnowledgeRequirement]
    if key.startswith("cc."):
        model = CentralContent
    elif key.startswith("kr."):
        model = KnowledgeRequirement
    else:
        return None
    return (
        model.objects.filter(code=code, version=number, key=key)
        .select_related("subject", "course")
        .first()
    )


def _version_number(version: str | int) -> int | None:
    if isinstance(version, int) and not isinstance(version, bool):
        return version if version >= 0 else None
    text = str(version).strip()
    return int(text) if text.isdigit() else None

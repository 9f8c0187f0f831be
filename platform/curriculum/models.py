"""Skolverket's syllabi as platform-wide reference data (public schema only).

Every row has a natural key of plain text that tenant tables store instead of a foreign key:
``(code, version)`` for subjects and courses, ``(code, version, key)`` for central content and
knowledge requirements, where ``code`` is the subject's or the course's code. Tenant schemas
never reference these tables by id, so a municipality's schema can be moved on its own (e.g. to
Citus schema-based sharding); see docs/curriculum.md.

Versions live side by side: an import adds a new version as new rows and never rewrites an
older one. Items that disappear from a re-published version are *retired* (kept, flagged), so a
document that referenced them still resolves.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Subject(models.Model):
    """One version of a subject syllabus (kursplan in GR, ämnesplan in GY)."""

    code = models.CharField(max_length=32)  # e.g. GRGRMAT01 (GR), MAT (GY)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    english_name = models.CharField(max_length=300, blank=True)
    # Skolverket's school type codes: GR, SAM, GRAN, SP, GY, GYAN, VUXGR, VUXGY, VUXSFI, ...
    school_types = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    type_of_syllabus = models.CharField(max_length=40, blank=True)  # e.g. COURSE_SYLLABUS
    # The curriculum the syllabus belongs to (LGR22, GY11, GY25, ...): derived on import.
    curriculum = models.CharField(max_length=16, blank=True)
    valid_from = models.DateField(null=True, blank=True)  # Skolverket's startDate
    valid_to = models.DateField(null=True, blank=True)  # endDate: the last day it is valid
    modified_on = models.DateField(null=True, blank=True)  # modifiedDate
    description = models.TextField(blank=True)  # plain text
    purpose = models.TextField(blank=True)  # plain text
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)  # set by the import, only on change

    class Meta:
        ordering = ["name", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="curriculum_subject_nk")
        ]
        indexes = [models.Index(fields=["code", "valid_from"], name="curriculum_subject_valid")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} v{self.version})"

    @property
    def school_type(self) -> str:
        """The first school type Skolverket lists (GR for a GR/SAM syllabus)."""
        return self.school_types[0] if self.school_types else ""


class Course(models.Model):
    """A course (or level) of a GY subject, at the version of its subject.

    Skolverket versions the subject; its courses carry the subject's version number, so
    ``(code, version)`` of a course is e.g. ``("MATMAT01c", 11)``.
    """

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="courses")
    code = models.CharField(max_length=32)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    english_name = models.CharField(max_length=300, blank=True)
    points = models.PositiveIntegerField(null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="curriculum_course_nk")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} v{self.version})"


class SyllabusItem(models.Model):
    """What central content and knowledge requirements share: the natural key and the text.

    Each concrete model has ``subject`` and, for a course's items, ``course``; ``code``/
    ``version`` repeat the owner's (the course's when ``course`` is set, else the
    subject's), so the natural key is one unique constraint and one index lookup.
    """

    code = models.CharField(max_length=32)
    version = models.PositiveIntegerField()
    key = models.CharField(max_length=120)
    position = models.PositiveIntegerField()  # order within the owner, from 1
    text = models.TextField()  # plain text
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def reference(self) -> tuple[str, str, str]:
        """What a tenant table stores: (code, version, key), all text."""
        return (self.code, str(self.version), self.key)


class CentralContent(SyllabusItem):
    """One item of central content, e.g. "Positionssystemet ..." for years 1-3.

    Key: ``cc.<years>.<digest>`` (``cc.<digest>`` for a course), where the digest is taken from
    the item's text: an item whose wording is unchanged keeps its key in the next version.
    """

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="central_content")
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.CASCADE, related_name="central_content"
    )
    year_span = models.CharField(max_length=16, blank=True)  # "1-3", "4-6", "7-9"; "" for GY
    section = models.CharField(max_length=300, blank=True)  # the heading the item stands under
    content_type = models.CharField(max_length=60, blank=True)  # typeOfCentralContent

    class Meta:
        ordering = ["code", "version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version", "key"], name="curriculum_cc_nk")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} {self.key}"


class KnowledgeRequirement(SyllabusItem):
    """Grading criteria for one grade step at one stage (or the criteria for acceptable
    knowledge at the end of year 3).

    Key: ``kr.<year>.<grade step>`` (``kr.6.E``), ``kr.<grade step>`` for a course (``kr.C``),
    ``kr.3.acceptable`` when there is no grade step.
    """

    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="knowledge_requirements"
    )
    course = models.ForeignKey(
        Course,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="knowledge_requirements",
    )
    year = models.CharField(max_length=16, blank=True)  # "6", "9"; "" for GY courses
    grade_step = models.CharField(max_length=8, blank=True)  # E, D, C, B, A; "" = acceptable
    heading = models.CharField(max_length=300, blank=True)
    requirement_type = models.CharField(max_length=60, blank=True)  # typeOfRequirement

    class Meta:
        ordering = ["code", "version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version", "key"], name="curriculum_kr_nk")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} {self.key}"

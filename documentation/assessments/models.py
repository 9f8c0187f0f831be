"""Assessment matrices (rows x levels) and summative assessments with their full history.

A matrix is a draft until published; a published matrix is frozen (rows, levels and texts never
change, because assessments point at them); a changed matrix is a new draft copied from it
(``derived_from``). Summative assessments exist on published matrices only: one current row per
pupil and matrix row, with a version that grows on every change and an append-only history.
Curriculum references (subject code, version, knowledge-requirement key) are plain text: the
syllabus lives in the public schema and tenant tables never point into it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MatrixKind(models.TextChoices):
    TEACHER = "teacher", _("Teacher-made")
    # Built on Skolverket's knowledge requirements, managed by the municipality: locked for
    # teachers (they copy it into a matrix of their own to adapt it).
    SKOLVERKET = "skolverket", _("Skolverket-based")


class Visibility(models.TextChoices):
    STAFF = "staff", _("Staff only")
    PUPIL_GUARDIANS = "pupil_guardians", _("Pupils and guardians too")


class AssessmentMatrix(models.Model):
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(max_length=20, choices=MatrixKind.choices, default=MatrixKind.TEACHER)
    subject_code = models.CharField(max_length=30, blank=True, db_index=True)
    curriculum_version = models.CharField(max_length=30, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Optional school scope (a unit or school the matrix is meant for); informative, not access.
    organisation = models.ForeignKey(
        "register.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "assessment matrices"

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class MatrixRow(models.Model):
    """An aspect, or one knowledge requirement (``"<code>:<version>:<key>"``)."""

    matrix = models.ForeignKey(AssessmentMatrix, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveSmallIntegerField()
    aspect = models.CharField(max_length=1000)
    knowledge_requirement_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["matrix", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["matrix", "position"], name="unique_matrix_row_position"
            )
        ]

    def __str__(self) -> str:
        return self.aspect[:60]


class MatrixLevel(models.Model):
    """A column, lowest first: "E", "C", "A", or "Godtagbara kunskaper", ..."""

    matrix = models.ForeignKey(AssessmentMatrix, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)

    class Meta:
        ordering = ["matrix", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["matrix", "position"], name="unique_matrix_level_position"
            )
        ]

    def __str__(self) -> str:
        return self.label


class MatrixCellText(models.Model):
    """What a row looks like at a level (the text in the matrix's cell)."""

    row = models.ForeignKey(MatrixRow, on_delete=models.CASCADE, related_name="cell_texts")
    level = models.ForeignKey(MatrixLevel, on_delete=models.CASCADE, related_name="cell_texts")
    description = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["row", "level"], name="unique_matrix_cell_text")
        ]

    def __str__(self) -> str:
        return f"Cell({self.row_id}, {self.level_id})"


class SummativeAssessment(models.Model):
    """The current assessment of one pupil on one matrix row (``level`` null = cleared).

    Written only by ``services.grid.grid_save`` (set-based); ``version`` starts at 1 and grows by
    one on every change, so clients can send the version they saw and get a conflict instead of
    overwriting a colleague's newer assessment.
    """

    # Indexes are chosen for the grid: a cell's update changes level, author, comment and date,
    # none of them indexed, so PostgreSQL updates it in place (HOT) without touching any index.
    # pupil and matrix are covered by the composite indexes below; authors are never deleted;
    # a level is deleted only with its draft matrix, which has no assessments.
    pupil = models.ForeignKey(
        "register.Person", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Denormalised from row.matrix (the service checks they agree; no second foreign-key check
    # per cell): the grid reads (matrix, pupils) with one index scan.
    matrix = models.ForeignKey(
        AssessmentMatrix,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    row = models.ForeignKey(MatrixRow, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(
        MatrixLevel,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    assessed_on = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pupil", "row"], name="unique_assessment_pupil_row")
        ]
        indexes = [models.Index(fields=["matrix", "pupil"])]

    def __str__(self) -> str:
        return f"Assessment({self.pupil_id}, row {self.row_id}, v{self.version})"


class SummativeAssessmentHistory(models.Model):
    """One change of an assessment, append-only (the database refuses UPDATE and DELETE).

    Only ``assessment`` is a foreign key in the database (and the only index besides the
    primary key, through the unique (assessment, version)): the pupil, row, levels and author
    are copied from the assessment row by the very statement that writes it (services.grid),
    whose own foreign keys were just checked. They are references to rows that are never
    deleted (register people are marked removed, published matrices are frozen, and a draft's
    rows and levels, the only ones ever deleted, have no assessments), so they are kept as plain
    ids with the ORM's relations (``DO_NOTHING``): checking five more keys and maintaining five
    more indexes per history row cost about a third of a 300-cell save.
    """

    assessment = models.ForeignKey(
        SummativeAssessment, on_delete=models.PROTECT, related_name="history", db_index=False
    )
    pupil = models.ForeignKey(
        "register.Person", models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    row = models.ForeignKey(
        MatrixRow, models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    version = models.PositiveIntegerField()
    old_level = models.ForeignKey(
        MatrixLevel, models.DO_NOTHING, null=True, blank=True, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    new_level = models.ForeignKey(
        MatrixLevel, models.DO_NOTHING, null=True, blank=True, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    comment = models.TextField(blank=True)
    assessed_on = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.DO_NOTHING, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    at = models.DateTimeField(default=timezone.now)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "summative assessment history"
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "version"], name="unique_assessment_history_version"
            )
        ]

    def __str__(self) -> str:
        return f"History({self.assessment_id} v{self.version})"


class AssessmentSettings(models.Model):
    """The municipality's choices for assessments (one row, like municipal.MunicipalSettings)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    # Whether pupils and guardians see published Skolverket-based matrices and the assessments
    # made on them. Staff only until the education board decides otherwise.
    skolverket_visibility = models.CharField(
        _("Skolverket-based matrices are visible to"),
        max_length=20,
        choices=Visibility.choices,
        default=Visibility.STAFF,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("assessment settings")
        verbose_name_plural = _("assessment settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="single_assessment_settings_row")
        ]

    def __str__(self) -> str:
        return "AssessmentSettings"

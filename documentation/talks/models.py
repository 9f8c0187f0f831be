"""Development talks (utvecklingssamtal) with agreed actions, and IUPs (tenant schema)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TalkTemplate(models.Model):
    """The principal's decision on what a talk covers, for a school (or the municipality)."""

    organisation = models.ForeignKey(
        "register.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    # [{"title": "Kunskapsutveckling", "questions": ["Vad har gått bra?", ...]}, ...]
    sections = models.JSONField(default=list)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class DevelopmentTalk(models.Model):
    pupil = models.ForeignKey("register.Person", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        TalkTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="talks"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    held_on = models.DateField(null=True, blank=True)
    staff_participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    guardian_participants = models.ManyToManyField("register.Person", blank=True, related_name="+")
    pupil_participated = models.BooleanField(default=True)
    # {"<section index>.<question index>": "answer text"}
    answers = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    current_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-held_on", "-scheduled_at", "-pk"]

    def __str__(self) -> str:
        return f"DevelopmentTalk #{self.pk}"


class TalkAgreement(models.Model):
    """An agreed action (överenskommelse) and its follow-up."""

    class Responsible(models.TextChoices):
        PUPIL = "pupil", _("Pupil")
        GUARDIANS = "guardians", _("Guardians")
        SCHOOL = "school", _("School")

    talk = models.ForeignKey(DevelopmentTalk, on_delete=models.CASCADE, related_name="agreements")
    text = models.TextField()
    responsible = models.CharField(max_length=20, choices=Responsible.choices)
    follow_up_on = models.DateField(null=True, blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    follow_up_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"TalkAgreement #{self.pk}"


class IUP(models.Model):
    """Individuell utvecklingsplan: written assessments per subject and a forward plan."""

    pupil = models.ForeignKey("register.Person", on_delete=models.PROTECT, related_name="+")
    term = models.CharField(_("term"), max_length=10)  # "HT2026", "VT2027" or "2026/27"
    school_year = models.PositiveSmallIntegerField(null=True, blank=True)
    goals = models.TextField(_("goals"), blank=True)
    measures = models.TextField(_("measures"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    current_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-term", "-pk"]
        constraints = [models.UniqueConstraint(fields=["pupil", "term"], name="one_iup_per_term")]

    def __str__(self) -> str:
        return f"IUP {self.term} #{self.pk}"


class IUPSubjectAssessment(models.Model):
    """A written assessment (skriftligt omdöme) in one subject: a level and a text."""

    class Level(models.TextChoices):
        NOT_YET = "not_yet", _("Not yet acceptable knowledge")
        ACCEPTABLE = "acceptable", _("Acceptable knowledge")
        MORE = "more_than_acceptable", _("More than acceptable knowledge")

    iup = models.ForeignKey(IUP, on_delete=models.CASCADE, related_name="subjects")
    subject_code = models.CharField(max_length=30)
    curriculum_version = models.CharField(max_length=20, blank=True)
    level = models.CharField(max_length=30, choices=Level.choices, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["subject_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["iup", "subject_code"], name="one_assessment_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_code}: {self.level}"


class DocumentVersion(models.Model):
    """An immutable snapshot of a published talk or IUP (the database refuses changes)."""

    kind = models.CharField(max_length=10)  # "talk" | "iup"
    document_id = models.BigIntegerField()
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "document_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "document_id", "version"], name="unique_document_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id} v{self.version}"

"""Pedagogical plans, their published versions and history, and plan templates.

A plan belongs to a group or to an activity (exactly one) and a subject. ``published_at`` (null =
draft) is the legal line: publishing snapshots the content into ``PlanVersion`` 1, and every later
edit adds the next version. Versions and history rows are append-only in the database (migration
0002), and so is the plan itself as far as deleting goes: finished plans are archived.
Curriculum references are text (``"<code>:<version>:<key>"``), never a foreign key into public.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CURRICULUM_REF_MAX = 200


def _refs() -> ArrayField:
    return ArrayField(models.CharField(max_length=CURRICULUM_REF_MAX), default=list, blank=True)


class PlanContent(models.Model):
    """The content a plan and a template share (what a template copies into a new plan)."""

    title = models.CharField(_("title"), max_length=200)
    subject_code = models.CharField(_("subject code"), max_length=32)
    # The subject version the references were written against (curriculum.Subject.version).
    curriculum_version = models.PositiveIntegerField(null=True, blank=True)
    description_html = models.TextField(blank=True)  # sanitised on write (plans.sanitise)
    teaching_forms = models.TextField(blank=True)
    assessment_forms = models.TextField(blank=True)
    central_content_keys = _refs()
    knowledge_requirement_keys = _refs()

    class Meta:
        abstract = True


class PedagogicalPlan(PlanContent):
    group = models.ForeignKey(
        "register.Group",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pedagogical_plans",
    )
    activity = models.ForeignKey(
        "register.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pedagogical_plans",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    template = models.ForeignKey(
        "plans.PlanTemplate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # The newest PlanVersion's number (0 while a draft).
    current_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_start", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=False, activity__isnull=True)
                | Q(group__isnull=True, activity__isnull=False),
                name="plans_plan_group_xor_activity",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="plans_plan_period_order",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True, current_version=0)
                | Q(published_at__isnull=False, current_version__gte=1),
                name="plans_plan_published_has_version",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "period_start"], name="plans_plan_group"),
            models.Index(fields=["activity", "period_start"], name="plans_plan_activity"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class PlanVersion(models.Model):
    """One published version of a plan: an official record. Never updated or deleted."""

    plan = models.ForeignKey(PedagogicalPlan, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="plans_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="plans_version_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.version}"


class PlanAction(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    PUBLISHED = "published", _("published")
    ARCHIVED = "archived", _("archived")


class PlanHistory(models.Model):
    """Who changed what when, drafts included (``changes``: the new values of the changed
    fields). Append-only."""

    plan = models.ForeignKey(PedagogicalPlan, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=16, choices=PlanAction.choices)
    changes = models.JSONField(default=dict)
    version = models.PositiveIntegerField(null=True, blank=True)  # the version it produced
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "at", "pk"]
        verbose_name_plural = "plan history"

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action}"


class TemplateScope(models.TextChoices):
    ORGANISATION = "organisation", _("school")
    MUNICIPALITY = "municipality", _("municipality")


class PlanTemplate(PlanContent):
    """A reusable plan: shared with the staff of one school (``organisation``) or with the
    whole municipality. Holds no pupil data."""

    scope = models.CharField(max_length=16, choices=TemplateScope.choices)
    organisation = models.ForeignKey(
        "register.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_templates",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="organisation", organisation__isnull=False)
                | Q(scope="municipality", organisation__isnull=True),
                name="plans_template_scope",
            )
        ]

    def __str__(self) -> str:
        return self.title

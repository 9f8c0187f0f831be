from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from register.models.base import Dated, RegisterEntity
from register.models.choices import (
    ActivityType,
    AssignmentRoleType,
    DutyRole,
    GroupType,
    SchoolType,
)


class Group(RegisterEntity, Dated):
    """A class, teaching group, mentor group, ... at an organisation (SS 12000 Group)."""

    display_name = models.CharField(_("name"), max_length=300)
    group_type = models.CharField(max_length=30, choices=GroupType.choices)
    school_type = models.CharField(max_length=20, choices=SchoolType.choices, blank=True)
    organisation = models.ForeignKey(
        "register.Organisation", on_delete=models.PROTECT, related_name="groups"
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class GroupMembership(Dated):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        "register.Person", on_delete=models.CASCADE, related_name="group_memberships"
    )

    class Meta:
        indexes = [
            models.Index(fields=["group", "start_date", "end_date"]),
            models.Index(fields=["person", "start_date", "end_date"]),
        ]

    def __str__(self) -> str:
        return f"Membership({self.person_id} in {self.group_id})"


class Duty(RegisterEntity, Dated):
    """A member of staff's role at an organisation (SS 12000 Duty)."""

    person = models.ForeignKey("register.Person", on_delete=models.CASCADE, related_name="duties")
    duty_at = models.ForeignKey(
        "register.Organisation", on_delete=models.PROTECT, related_name="duties"
    )
    duty_role = models.CharField(max_length=60, choices=DutyRole.choices)
    signature = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name_plural = "duties"
        indexes = [models.Index(fields=["person", "duty_role"])]

    def __str__(self) -> str:
        return f"{self.duty_role} ({self.person_id})"


class AssignmentRole(Dated):
    """A duty's role for a group: mentor of 7B, special needs educator for 5A, ..."""

    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="assignment_roles")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="assignment_roles")
    role_type = models.CharField(max_length=40, choices=AssignmentRoleType.choices)

    def __str__(self) -> str:
        return f"{self.role_type} for {self.group_id}"


class Activity(RegisterEntity, Dated):
    """The teacher-group-subject link (SS 12000 Activity)."""

    display_name = models.CharField(max_length=300)
    activity_type = models.CharField(max_length=30, choices=ActivityType.choices, blank=True)
    organisation = models.ForeignKey(
        "register.Organisation", on_delete=models.PROTECT, related_name="activities"
    )
    # Skolverket's subject code (GRGRMAT01, MATMAT01a, ...): joins to the syllabus by code and
    # version, never by foreign key into another schema. Edlevo puts it in displayName.
    subject_code = models.CharField(max_length=30, blank=True, db_index=True)
    groups = models.ManyToManyField(Group, related_name="activities", blank=True)

    class Meta:
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.display_name


class ActivityTeacher(Dated):
    """A duty assigned to teach an activity (SS 12000 Activity.teachers)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="teachers")
    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="teaching")

    def __str__(self) -> str:
        return f"Teacher({self.duty_id} of {self.activity_id})"

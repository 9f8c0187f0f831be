from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from register.civic_numbers import mask
from register.models.base import Dated, RegisterEntity
from register.models.choices import (
    CivicNumberKindChoice,
    EmailType,
    PersonStatus,
    RelationType,
    SchoolType,
    SecurityMarking,
)


class PersonQuerySet(models.QuerySet["Person"]):
    def unprotected(self) -> PersonQuerySet:
        """People who may appear in lists: no confidentiality or protected registration."""
        return self.filter(security_marking=SecurityMarking.NONE)


class Person(RegisterEntity):
    """A pupil, member of staff or guardian (SS 12000 Person). One row whatever the roles."""

    given_name = models.CharField(_("given name"), max_length=200)
    middle_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(_("family name"), max_length=200)
    # 12 characters; empty when the register withholds it (EduCloud lets municipalities strip
    # it). Never in URLs or logs: use `masked_civic_no`.
    civic_no = models.CharField(max_length=12, blank=True, db_index=True)
    civic_no_kind = models.CharField(
        max_length=20, choices=CivicNumberKindChoice.choices, blank=True
    )
    birth_date = models.DateField(null=True, blank=True)
    security_marking = models.CharField(
        max_length=30, choices=SecurityMarking.choices, default=SecurityMarking.NONE
    )
    status = models.CharField(
        max_length=20, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    # Set when the person disappeared from the register (documentation is kept).
    removed_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def masked_civic_no(self) -> str:
        return mask(self.civic_no) if self.civic_no else ""

    @property
    def is_protected(self) -> bool:
        return self.security_marking != SecurityMarking.NONE


class Email(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails")
    value = models.EmailField(max_length=254)
    type = models.CharField(max_length=30, choices=EmailType.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "value", "type"], name="unique_person_email")
        ]

    def __str__(self) -> str:
        return f"{self.type}: {self.value}"


class Enrolment(Dated):
    """A pupil's enrolment at a school unit (SS 12000 Person.enrolments)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrolments")
    school_unit = models.ForeignKey(
        "register.Organisation", on_delete=models.PROTECT, related_name="enrolments"
    )
    school_type = models.CharField(max_length=20, choices=SchoolType.choices)
    school_year = models.PositiveSmallIntegerField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["school_unit", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"Enrolment({self.person_id} @ {self.school_unit_id})"


class Responsible(models.Model):
    """A guardian relation: ``guardian`` is responsible for ``pupil`` (Person.responsibles)."""

    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="responsibles")
    guardian = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="responsible_for")
    relation_type = models.CharField(max_length=30, choices=RelationType.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "guardian", "relation_type"], name="unique_responsible"
            )
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} {self.relation_type} for {self.pupil_id}"

"""The municipality's own settings (tenant schema only): decisions of its education board."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_guardian_relation_types() -> list[str]:
    return ["Vårdnadshavare"]


def default_school_forms() -> list[str]:
    """Every school form (SS 12000 schoolType codes): a municipality narrows it to what it uses
    Lärspår for."""
    return ["FS", "FKLASS", "FTH", "OPPFTH", "GR", "GRS", "TR", "SP", "SAM", "GY", "GYS", "VUX"]


def default_assignment_roles_with_access() -> list[str]:
    return ["Mentor", "Specialpedagog", "Elevhälsopersonal", "Fritidspedagog", "Lärarassistent"]


class MunicipalSettings(models.Model):
    """One row per municipality schema (enforced by the fixed primary key)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    controller_name = models.CharField(
        _("data controller"), max_length=200, blank=True,
        help_text=_("The education board that is the controller of pupil data."),
    )  # fmt: skip
    controller_contact = models.CharField(
        _("controller's contact details"), max_length=300, blank=True
    )
    data_protection_officer = models.CharField(
        _("data protection officer's contact details"), max_length=300, blank=True
    )
    accessibility_contact = models.CharField(
        _("where to report accessibility problems"), max_length=300, blank=True
    )
    session_idle_minutes = models.PositiveIntegerField(
        _("idle sign-out after (minutes)"), default=60
    )
    access_log_retention_months = models.PositiveIntegerField(
        _("keep the access log (months)"), default=24
    )

    # Pupils get accounts from this school year on (FKLASS counts as year 0).
    pupil_login_from_school_year = models.PositiveSmallIntegerField(
        _("pupils sign in from school year"), default=4
    )
    # The school forms the municipality uses Lärspår for: pupils get accounts only through
    # enrolments in these, guardians only through such pupils (staff are not affected).
    school_forms = ArrayField(models.CharField(max_length=10), default=default_school_forms)
    # Which SS 12000 relation types let an adult see a child's published documentation.
    guardian_relation_types = ArrayField(
        models.CharField(max_length=30), default=default_guardian_relation_types, blank=True
    )
    # Assignment roles (beyond teaching) that give staff access to a group's pupils.
    assignment_roles_with_access = ArrayField(
        models.CharField(max_length=40), default=default_assignment_roles_with_access, blank=True
    )
    # Some registers leave securityMarking out (IST lets municipalities strip it). Read as "Ingen"
    # by default; a municipality whose register strips it turns this on, and every person who
    # comes without a marking waits in the import quarantine until an administrator admits them.
    missing_security_marking_protected = models.BooleanField(
        _("treat persons without a security marking as protected"), default=False
    )

    class Meta:
        verbose_name = _("municipality settings")
        verbose_name_plural = _("municipality settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_settings_row")]

    def __str__(self) -> str:
        return "MunicipalSettings"

"""The municipality's own settings (tenant schema only): decisions of its education board."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MunicipalSettings(models.Model):
    """One row per municipality schema (enforced by the fixed primary key)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    controller_name = models.CharField(
        _("data controller"), max_length=200, blank=True,
        help_text=_("The education board that is the controller of pupil data."),
    )  # fmt: skip
    session_idle_minutes = models.PositiveIntegerField(
        _("idle sign-out after (minutes)"), default=60
    )
    access_log_retention_months = models.PositiveIntegerField(
        _("keep the access log (months)"), default=24
    )

    class Meta:
        verbose_name = _("municipality settings")
        verbose_name_plural = _("municipality settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_settings_row")]

    def __str__(self) -> str:
        return "MunicipalSettings"

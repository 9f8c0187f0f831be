from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from register.models.base import RegisterEntity
from register.models.choices import OrganisationType


class Organisation(RegisterEntity):
    """Huvudman, skola, skolenhet, ... as the register sends them (SS 12000 Organisation).

    Edlevo hangs groups and duties on "Skola" rather than "Skolenhet", so every reference in the
    register may point at any organisation; ``lineage`` lets the access policy ask "is this unit
    under that school?" in one indexed lookup.
    """

    display_name = models.CharField(_("name"), max_length=300)
    organisation_type = models.CharField(max_length=40, choices=OrganisationType.choices)
    organisation_code = models.CharField(max_length=100, blank=True)
    school_unit_code = models.CharField(_("school unit code"), max_length=20, blank=True)
    school_types = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    municipality_code = models.CharField(max_length=4, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Own id and every ancestor's id, maintained by register services on write.
    lineage = ArrayField(models.BigIntegerField(), default=list, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["display_name"]
        indexes = [
            models.Index(fields=["organisation_type"]),
            models.Index(fields=["school_unit_code"]),
        ]

    def __str__(self) -> str:
        return self.display_name

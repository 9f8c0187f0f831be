"""The text guard's tables (each municipality's schema): its own lexicon words, the lexicon's
version, and acknowledgements of findings (counts only, never the text)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documentation.textguard import lexicon_sv


class Category(models.TextChoices):
    VALUE_JUDGEMENT = lexicon_sv.VALUE_JUDGEMENT, _("Value judgement about a person")
    OFFENSIVE = lexicon_sv.OFFENSIVE, _("Offensive wording")
    ATTENDANCE = lexicon_sv.ATTENDANCE, _("Attendance or absence")
    HEALTH = lexicon_sv.HEALTH, _("Health detail")


class LexiconEntry(models.Model):
    """A municipality's word: added to the shipped lexicon, or, when ``lemma`` equals a shipped
    lemma, replacing it (``enabled=False`` switches the shipped word off).

    Written by ``textguard.services.lexicon_entry_create/update`` only: they bump
    ``LexiconVersion`` so that every process recompiles its matcher.
    """

    lemma = models.CharField(_("word"), max_length=100)
    forms = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    # Blank: the category's shipped suggestion.
    suggestion = models.CharField(_("suggestion"), max_length=300, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lemma", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("lemma"), name="textguard_lexicon_lemma_unique"),
        ]

    def __str__(self) -> str:
        return f"LexiconEntry({self.lemma}, {self.category})"


class LexiconVersion(models.Model):
    """One row per schema: bumped in the same transaction as every lexicon edit. ``token``
    changes on every bump, so a schema recreated with the same counter (a rolled-back test, a
    restored backup) never reuses a matcher compiled from other rows."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    counter = models.PositiveBigIntegerField(default=0)
    token = models.UUIDField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="textguard_single_version_row")
        ]

    def __str__(self) -> str:
        return f"LexiconVersion({self.counter})"


class Acknowledgement(models.Model):
    """Someone saved or published text despite the guard's findings. Holds how many findings
    of each category, the document and its school; never the words or the text. One row per
    person, document and set of findings, however often the document is saved with them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    document_ref = models.CharField(max_length=100)
    organisation = models.ForeignKey(
        "register.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    value_judgement = models.PositiveIntegerField(default=0)
    offensive = models.PositiveIntegerField(default=0)
    attendance = models.PositiveIntegerField(default=0)
    health = models.PositiveIntegerField(default=0)
    # Which findings were acknowledged, as a keyed digest (see services.findings_key): an
    # autosave with the same findings is not acknowledged again. Blank on rows from before.
    findings_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["at"], name="textguard_ack_at"),
            models.Index(fields=["document_ref"], name="textguard_ack_document"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document_ref", "findings_key"],
                condition=~models.Q(findings_key=""),
                name="textguard_ack_once_per_finding_set",
            )
        ]

    def __str__(self) -> str:
        return f"Acknowledgement({self.document_ref})"


# The count column of each category (the model's field names are the category codes).
COUNT_FIELDS: tuple[str, ...] = tuple(Category.values)

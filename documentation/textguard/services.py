"""The text guard's interface for every documentation app (see docs/documentation.md):

    findings = text_check(texts={"summary": data["summary"], "goals": data["goals"]})
    findings_require_acknowledgement(
        findings=findings, acknowledged=data["acknowledge"], user=user,
        document_ref=f"plans.plan:{plan.pk}", organisation_id=plan.organisation_id,
    )

``findings_require_acknowledgement`` raises ``TextGuardFindings`` (HTTP 422 through
``textguard.api.text_guard_response``) when there are findings and no acknowledgement, and
records the acknowledgement (counts per category, never the text) when there is one.

The municipality's own lexicon words are edited here too (``lexicon_entry_create/update``).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import request_cache
from core.db import connection
from documentation.textguard.inflection import adjective, unique, verb_a
from documentation.textguard.lexicon_sv import SHIPPED_BY_LEMMA
from documentation.textguard.matcher import MIN_PREFIX, PREFIX_MARK, Finding, fold, form_words
from documentation.textguard.models import (
    COUNT_FIELDS,
    Acknowledgement,
    Category,
    LexiconEntry,
    LexiconVersion,
)
from documentation.textguard.selectors import matcher_current, memo_key

__all__ = [
    "Finding",
    "TextGuardFindings",
    "acknowledgement_record",
    "findings_key",
    "findings_require_acknowledgement",
    "lexicon_entry_create",
    "lexicon_entry_update",
    "text_check",
]

# "<app>.<kind>" with an optional ":<id>", e.g. "plans.plan:12", "talks.iup:7".
DOCUMENT_REF = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*(?::[A-Za-z0-9_-]+)?$")
MAX_FORMS = 60
FINDINGS_KEY_SALT = "larspar.textguard.acknowledgement"
MAX_FORM_LENGTH = 100
MAX_PHRASE_WORDS = 8
# Letters, digits, combining marks, spaces and hyphens; an optional trailing "*".
FORM_SHAPE = re.compile(r"^(?:[^\W_]|[\u0300-\u036f]|[ \-])+\*?$")


class TextGuardFindings(Exception):
    """Text with findings was to be saved without an acknowledgement."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings: list[Finding] = list(findings)
        super().__init__(f"{len(self.findings)} text guard finding(s)")


# --- Checking ------------------------------------------------------------------------------


def text_check(*, texts: Mapping[str, str]) -> list[Finding]:
    """Every finding in every field, in the fields' order and then by position; offsets are
    indices into that field's text. Read only: nothing is stored."""
    matcher = matcher_current()
    findings: list[Finding] = []
    for field, text in texts.items():
        if text:
            findings += matcher.find(field, text)
    return findings


def findings_key(findings: Sequence[Finding]) -> str:
    """The identity of a set of findings: each finding's field, category and folded words, with
    repeats, in no particular order (typing elsewhere in the text moves the offsets, not the
    findings). Keyed with the secret key, so the stored digest does not say which lexicon
    words the document held."""
    parts = sorted(f"{f.field}\x1f{f.category}\x1f{fold(f.text)}" for f in findings)
    digest = salted_hmac(FINDINGS_KEY_SALT, "\x1e".join(parts), algorithm="sha256")
    return digest.hexdigest()


@transaction.atomic
def acknowledgement_record(
    *,
    user: User,
    document_ref: str,
    findings: Sequence[Finding],
    organisation_id: int | None = None,
) -> None:
    """Records that ``user`` saved or published ``document_ref`` despite ``findings``: the
    number of findings per category and the school, never the words or the text. Nothing is
    recorded when there are no findings, nor when the same person already acknowledged the
    same findings in the same document (an editor autosaves with the box ticked; a new or
    another finding is a new acknowledgement)."""
    if not DOCUMENT_REF.match(document_ref) or len(document_ref) > 100:
        raise ValueError(f"document_ref must look like 'plans.plan:12', got {document_ref!r}")
    if not findings:
        return
    counts = Counter(finding.category for finding in findings)
    unknown = set(counts) - set(COUNT_FIELDS)
    if unknown:
        raise ValueError(f"unknown finding categories: {sorted(unknown)}")
    acknowledgement = Acknowledgement(
        user=user,
        document_ref=document_ref,
        organisation_id=organisation_id,
        findings_key=findings_key(findings),
        **{field: counts.get(field, 0) for field in COUNT_FIELDS},
    )
    # ON CONFLICT DO NOTHING on the unique (user, document, findings) index: two autosaves
    # at the same moment record one row, and neither fails.
    Acknowledgement.objects.bulk_create([acknowledgement], ignore_conflicts=True)


def findings_require_acknowledgement(
    *,
    findings: Sequence[Finding],
    acknowledged: bool,
    user: User,
    document_ref: str,
    organisation_id: int | None = None,
    field_identities: Mapping[str, str] | None = None,
) -> None:
    """Call inside the saving service's transaction, after ``text_check``: raises
    ``TextGuardFindings`` when there are findings and no acknowledgement; records the
    acknowledgement when there is one (rolled back with the save if the save fails).

    ``field_identities``: what a field stands for, where its name says only where it was in
    this request (the grid's ``cells.0.comment`` is another pupil's comment in the next save).
    The acknowledgement's identity uses it, so that the same words about another pupil are a
    new acknowledgement; the findings raised keep the request's names."""
    if not findings:
        return
    if not acknowledged:
        raise TextGuardFindings(findings)
    if field_identities:
        findings = [
            replace(finding, field=field_identities.get(finding.field, finding.field))
            for finding in findings
        ]
    acknowledgement_record(
        user=user, document_ref=document_ref, findings=findings, organisation_id=organisation_id
    )


# --- The municipality's lexicon ------------------------------------------------------------


def _form_clean(form: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", str(form)).split())
    words = form_words(cleaned)
    starred = cleaned.endswith(PREFIX_MARK)
    valid = (
        0 < len(cleaned) <= MAX_FORM_LENGTH
        and FORM_SHAPE.match(cleaned) is not None
        and 0 < len(words) <= MAX_PHRASE_WORDS
        and (not starred or (len(words) == 1 and len(words[0]) >= MIN_PREFIX))
    )
    if not valid:
        raise ValidationError(
            {
                "forms": _(
                    "“%(form)s” is not a valid form: use letters, digits, spaces and hyphens; "
                    "a trailing * (after at least %(min)d letters, one word only) matches every "
                    "word that begins with it."
                )
                % {"form": str(form)[:MAX_FORM_LENGTH], "min": MIN_PREFIX}
            }
        )
    return cleaned


def _lemma_clean(lemma: str) -> str:
    try:
        cleaned = _form_clean(lemma)
    except ValidationError:
        cleaned = ""
    if not cleaned or cleaned.endswith(PREFIX_MARK):
        raise ValidationError(
            {"lemma": _("A word or phrase of letters, digits, spaces and hyphens.")}
        )
    return cleaned


def _forms_build(lemma: str, forms: Sequence[str], inflect: str | None) -> list[str]:
    generated: tuple[str, ...] = ()
    if inflect == "verb_a":
        if not lemma.endswith("a") or " " in lemma:
            raise ValidationError(
                {"inflect": _("This inflection needs one word ending in -a (e.g. skolka).")}
            )
        generated = verb_a(lemma[:-1])
    elif inflect == "adjective":
        if " " in lemma:
            raise ValidationError({"inflect": _("Only a single word can be inflected.")})
        generated = adjective(lemma)
    cleaned = unique([lemma, *(_form_clean(form) for form in forms), *generated])
    if len(cleaned) > MAX_FORMS:
        raise ValidationError({"forms": _("At most %(max)d forms.") % {"max": MAX_FORMS}})
    return list(cleaned)


def _lexicon_version_bump() -> None:
    """Bumps the version in the edit's transaction: processes recompile once it commits."""
    table = connection.ops.quote_name(LexiconVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, counter, token) VALUES (1, 1, %s) "  # noqa: S608 (a model's table name)
            f"ON CONFLICT (id) DO UPDATE SET counter = {table}.counter + 1, "
            "token = EXCLUDED.token",
            [uuid.uuid4()],
        )
    request_cache.forget(memo_key(connection.schema_name))


@transaction.atomic
def lexicon_entry_create(
    *,
    lemma: str,
    added_by: User,
    category: str | None = None,
    forms: Sequence[str] | None = None,
    inflect: str | None = None,
    suggestion: str | None = None,
    enabled: bool = True,
) -> LexiconEntry:
    """Adds a word to the municipality's lexicon. For a shipped lemma the row replaces the
    shipped entry, starting from its category, forms and suggestion (``enabled=False`` switches
    it off)."""
    lemma = _lemma_clean(lemma)
    shipped = SHIPPED_BY_LEMMA.get(fold(lemma))
    category = category or (shipped.category if shipped else None)
    if category not in Category.values:
        raise ValidationError(
            {"category": _("Choose a category: the word is not in the shipped lexicon.")}
        )
    if forms is None:
        forms = shipped.forms if shipped else ()
    if suggestion is None:
        suggestion = shipped.suggestion if shipped else ""
    if LexiconEntry.objects.filter(lemma__iexact=lemma).exists():
        raise _duplicate()
    try:
        with transaction.atomic():
            entry = LexiconEntry.objects.create(
                lemma=lemma,
                forms=_forms_build(lemma, forms, inflect),
                category=category,
                suggestion=suggestion,
                enabled=enabled,
                added_by=added_by,
                updated_by=added_by,
            )
    except IntegrityError as error:  # the same word added at the same moment
        raise _duplicate() from error
    _lexicon_version_bump()
    return entry


def _duplicate() -> ValidationError:
    return ValidationError(
        {"lemma": _("This word is in the municipality's lexicon already: change that entry.")}
    )


@transaction.atomic
def lexicon_entry_update(
    *,
    entry: LexiconEntry,
    updated_by: User,
    category: str | None = None,
    forms: Sequence[str] | None = None,
    inflect: str | None = None,
    suggestion: str | None = None,
    enabled: bool | None = None,
) -> LexiconEntry:
    """Changes a municipality's word (the lemma stays: add another entry for another word)."""
    entry = LexiconEntry.objects.select_for_update().get(pk=entry.pk)
    if category is not None:
        if category not in Category.values:
            raise ValidationError({"category": _("Unknown category.")})
        entry.category = category
    if forms is not None or inflect:
        entry.forms = _forms_build(entry.lemma, entry.forms if forms is None else forms, inflect)
    if suggestion is not None:
        entry.suggestion = suggestion
    if enabled is not None:
        entry.enabled = enabled
    entry.updated_by = updated_by
    entry.save()
    _lexicon_version_bump()
    return entry

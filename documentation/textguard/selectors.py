"""Reads for the text guard: the compiled matcher of the current municipality, its lexicon, and
acknowledgement statistics.

The matcher is compiled once per process for each (schema, lexicon version) and memoised per
request, so a request pays at most one small query (the version row) however many fields it
checks, and a lexicon edit is seen by every process at its next request.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Lower
from django_tenants.utils import get_public_schema_name

from core import request_cache
from core.db import connection
from documentation.textguard.lexicon_sv import DEFAULT_SUGGESTIONS, SHIPPED, ShippedEntry
from documentation.textguard.matcher import Matcher, Rule, fold
from documentation.textguard.models import (
    COUNT_FIELDS,
    Acknowledgement,
    LexiconEntry,
    LexiconVersion,
)

MAX_COMPILED = 256
_compiled: OrderedDict[tuple[str, int, str], Matcher] = OrderedDict()
_compiled_lock = threading.Lock()


def memo_key(schema: str) -> str:
    return f"textguard.matcher:{schema}"


def _shipped_rule(entry: ShippedEntry) -> Rule:
    return Rule(entry.lemma, entry.category, entry.suggestion, entry.forms, entry.match_case)


def _entry_rule(entry: LexiconEntry) -> Rule:
    suggestion = entry.suggestion or DEFAULT_SUGGESTIONS[entry.category]
    return Rule(entry.lemma, entry.category, suggestion, tuple(entry.forms))


def matcher_compile(entries: Sequence[LexiconEntry]) -> Matcher:
    """The shipped lexicon with a municipality's rows: a row replaces the shipped entry of the
    same lemma (or switches it off when disabled); the rest are added."""
    overridden = {fold(entry.lemma) for entry in entries}
    rules: list[Rule] = [
        _shipped_rule(entry) for entry in SHIPPED if fold(entry.lemma) not in overridden
    ]
    rules += [_entry_rule(entry) for entry in entries if entry.enabled]
    return Matcher(rules)


SHIPPED_MATCHER = matcher_compile([])


def lexicon_version_get() -> tuple[int, str]:
    row = LexiconVersion.objects.filter(pk=1).values_list("counter", "token").first()
    return (row[0], str(row[1])) if row else (0, "")


def _matcher_load(schema: str) -> Matcher:
    # The version first, the rows second: an edit committing in between leaves newer rows under
    # the older version (recompiled at the next request), never older rows under the newer one.
    counter, token = lexicon_version_get()
    key = (schema, counter, token)
    with _compiled_lock:
        matcher = _compiled.get(key)
        if matcher is not None:
            _compiled.move_to_end(key)
            return matcher
    matcher = matcher_compile(list(LexiconEntry.objects.all()))
    with _compiled_lock:
        _compiled[key] = matcher
        while len(_compiled) > MAX_COMPILED:
            _compiled.popitem(last=False)
    return matcher


def matcher_current() -> Matcher:
    """The matcher of the municipality whose schema the connection is in (the shipped lexicon
    alone in the public schema, which has no lexicon of its own)."""
    schema = connection.schema_name
    if schema == get_public_schema_name():
        return SHIPPED_MATCHER
    return request_cache.memoised(memo_key(schema), lambda: _matcher_load(schema))


def lexicon_entry_list() -> QuerySet[LexiconEntry]:
    return LexiconEntry.objects.select_related("added_by", "updated_by").order_by(
        Lower("lemma"), "pk"
    )


def lexicon_entry_get(entry_id: int) -> LexiconEntry:
    return lexicon_entry_list().get(pk=entry_id)


def shipped_lexicon(entries: Iterable[LexiconEntry]) -> list[dict[str, Any]]:
    """The shipped entries, each with the id of the municipality's row replacing it, if any."""
    overrides = {fold(entry.lemma): entry.pk for entry in entries}
    return [
        {
            "lemma": entry.lemma,
            "category": entry.category,
            "forms": list(entry.forms),
            "suggestion": entry.suggestion,
            "match_case": entry.match_case,
            "overridden_by": overrides.get(fold(entry.lemma)),
        }
        for entry in SHIPPED
    ]


def acknowledgement_statistics(
    *, since: dt.date | None = None, until: dt.date | None = None
) -> list[dict[str, Any]]:
    """Per school (organisation; None for documents without one): how many acknowledgements,
    and per category how many acknowledgements had findings of it and how many findings.
    Counts only: acknowledgements hold no text."""
    acknowledgements = Acknowledgement.objects.all()
    if since:
        acknowledgements = acknowledgements.filter(at__date__gte=since)
    if until:
        acknowledgements = acknowledgements.filter(at__date__lte=until)
    aggregates: dict[str, Any] = {"acknowledgements": Count("pk")}
    for field in COUNT_FIELDS:
        aggregates[f"{field}__acknowledgements"] = Count("pk", filter=Q(**{f"{field}__gt": 0}))
        aggregates[f"{field}__findings"] = Sum(field)
    grouped = (
        acknowledgements.values("organisation_id", "organisation__display_name")
        .annotate(**aggregates)
        .order_by("organisation__display_name", "organisation_id")
    )
    rows = cast(list[dict[str, Any]], list(grouped))
    return [
        {
            "organisation_id": row["organisation_id"],
            "organisation": row["organisation__display_name"] or "",
            "acknowledgements": row["acknowledgements"],
            "categories": {
                field: {
                    "acknowledgements": row[f"{field}__acknowledgements"],
                    "findings": row[f"{field}__findings"] or 0,
                }
                for field in COUNT_FIELDS
            },
        }
        for row in rows
    ]

"""A 2,000-character text must check in well under 5 ms (live checking while typing)."""

from __future__ import annotations

import time

from django_tenants.utils import schema_context

from core import request_cache
from documentation.textguard.services import text_check
from tenants.models import Municipality
from tests.conftest import TENANT_A, QueryCounter

PARAGRAPH = (
    "Eleven resonerar utförligt om orsaker och konsekvenser i historiska förlopp och använder "
    "begrepp på ett väl fungerande sätt. Under arbetsområdet var hon lat ibland, men hennes "
    "ogiltiga frånvaro och att hon har diagnosen ADHD hör inte hit. Hon bryr sig inte om "
    "läxorna och lämnade in ett slarvigt arbete. Vi läser latin och relationen mellan "
    "platta figurer. "
)
TEXT = (PARAGRAPH * (2000 // len(PARAGRAPH) + 1))[:2000]
RUNS = 100


def average_ms(texts: dict[str, str]) -> float:
    text_check(texts=texts)  # warm: compile once
    started = time.perf_counter()
    for _ in range(RUNS):
        text_check(texts=texts)
    return (time.perf_counter() - started) * 1000 / RUNS


def test_a_2000_character_text_checks_in_well_under_5_ms(tenant_a: Municipality) -> None:
    assert len(TEXT) == 2000
    with schema_context(TENANT_A.slug):
        assert len(text_check(texts={"f": TEXT})) > 20
        # Within a request (the matcher memoised, as the middleware arranges)
        memo = request_cache.start()
        try:
            in_request = average_ms({"f": TEXT})
        finally:
            request_cache.end(memo)
        # Outside a request (a task): one small query for the lexicon version per call
        outside = average_ms({"f": TEXT})
    print(
        f"\ntext_check, 2,000 characters: {in_request:.3f} ms in a request, "
        f"{outside:.3f} ms outside one (average of {RUNS})"
    )
    # Generous bounds: shared CI machines stall; the figure printed above is the one to read.
    assert in_request < 20
    assert outside < 20


def test_a_request_reads_the_lexicon_version_once(
    tenant_a: Municipality, count_queries: type[QueryCounter]
) -> None:
    with schema_context(TENANT_A.slug):
        text_check(texts={"f": "lat"})  # this process has compiled A's matcher
        memo = request_cache.start()
        try:
            # When one request checks several times
            with count_queries() as queries:
                for _ in range(5):
                    text_check(texts={"f": TEXT, "g": "Han skolkade."})
        finally:
            request_cache.end(memo)
    # Then the version row was read once and the compiled matcher reused
    assert queries.count == 1
    assert "textguard_lexiconversion" in queries.statements[0]

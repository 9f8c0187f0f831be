"""The digest of a raw SS 12000 item: canonical (key order and whitespace do not matter),
salted, and defined for every JSON value, integers beyond 64 bits included."""

from __future__ import annotations

import json

import pytest

from integrations.pipeline.hashing import raw_digest
from integrations.records import Entity
from integrations.sources.ids import StableIds
from integrations.sources.ss12000_reader import Context, Scope, reads_as_empty_text


def test_key_order_and_formatting_do_not_change_the_digest() -> None:
    one = json.loads('{"id": "a", "meta": {"modified": "2026-01-01", "created": "2025"}}')
    other = json.loads('{ "meta":{"created":"2025","modified":"2026-01-01"},"id":"a"}')
    assert raw_digest("person:1", one) == raw_digest("person:1", other)


def test_the_salt_and_every_value_change_the_digest() -> None:
    item = {"id": "a", "givenName": "Åsa"}
    assert raw_digest("person:1", item) != raw_digest("person:2", item)
    assert raw_digest("person:1", item) != raw_digest("person:1", {**item, "givenName": "Asa"})


def test_an_integer_beyond_64_bits_still_has_a_stable_digest() -> None:
    # orjson refuses it; the standard encoder takes over, always the same way
    item = {"id": "a", "schoolYear": 2**70}
    assert raw_digest("s", item) == raw_digest("s", json.loads(json.dumps(item)))
    assert raw_digest("s", item) != raw_digest("s", {"id": "a", "schoolYear": 2**70 + 1})


@pytest.mark.parametrize(
    "value", [None, "", "Ingen", "Sekretessmarkering", 0, 7, 1.5, True, False, [], ["Ingen"], {}]
)
def test_the_reader_tells_a_field_not_sent_as_mapping_it_would(value: object) -> None:
    # Given a raw person whose security marking is ``value`` (or absent, for None)
    item = {} if value is None else {"securityMarking": value}
    scope = Scope(Context(Entity.PERSON, "persons.json item 0", StableIds(None)), item)
    # Then the reader's check without mapping agrees with what mapping reads
    assert reads_as_empty_text(item.get("securityMarking")) is (scope.text("securityMarking") == "")

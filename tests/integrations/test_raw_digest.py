"""The digest of a raw SS 12000 item: canonical (key order and whitespace do not matter),
salted, and defined for every JSON value, integers beyond 64 bits included."""

from __future__ import annotations

import json

from integrations.pipeline.hashing import raw_digest


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

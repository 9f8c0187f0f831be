"""Stable ids for rows that have no register UUID.

Register ids are UUIDs; CSV exports (and the odd SS 12000 server, e.g. Skolverket's sample
person with id "123456789") do not always give one, so an id is derived from what identifies
the row: the civic number for a person, the school-unit code for a school unit, and so on.

Why HMAC and not plain uuid5: a uuid5 of a civic number is a one-way hash, but the civic-number
space is small (about 36,500 birth dates x 1,000 serials x 10 check digits, far less with the
check digit known), so anyone holding the id could recover the civic number by brute force.
With a per-tenant secret the id reveals nothing without the secret. The secret must stay the
same for the life of the tenant: a new secret gives every derived id a new value, which the
import pipeline would read as "everyone left, everyone new".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

# Used only when no secret is configured (SS 12000 sources, whose non-UUID ids are opaque
# register keys rather than civic numbers). Fixed forever: changing it changes derived ids.
_NAMESPACE = uuid.UUID("5b0f4c2e-6a55-4c1e-9a53-3c1f0e8e2a71")
_SEPARATOR = "\x1f"  # unit separator: cannot occur in the parts, so ("a b", "c") != ("a", "b c")
MIN_SECRET_BYTES = 16
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_UUID_LENGTHS = frozenset({32, 36, 38, 45})  # hex, canonical, {braced}, urn:uuid:...
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A bundle names each id about five times (its own id, then memberships, responsibles, duties,
# teachers referring to it): parsing each spelling once saves most of the UUID work. Bounded so
# that a register with millions of ids cannot grow the cache without limit.
PARSED_CACHE_LIMIT = 1 << 19  # keys and table ~60 MB when full; 100,000 pupils: 290,000 ids


class StableIds:
    """Derives UUIDs from a kind ("person", "group", ...) and the parts that identify a row.

    With a secret: HMAC-SHA256(secret, kind + parts), first 128 bits, stamped as an RFC 9562
    version-8 ("custom") UUID. Without: uuid5 in a fixed namespace (guessable, see module doc).
    """

    def __init__(self, secret: bytes | None = None) -> None:
        if secret is not None and len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the id secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._parsed: dict[str, uuid.UUID] = {}

    @property
    def keyed(self) -> bool:
        return self._secret is not None

    def derive(self, kind: str, *parts: str) -> uuid.UUID:
        text = _SEPARATOR.join((kind, *parts))
        if self._secret is None:
            return uuid.uuid5(_NAMESPACE, text)
        digest = bytearray(hmac.new(self._secret, text.encode(), hashlib.sha256).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
        digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
        return uuid.UUID(bytes=bytes(digest))

    def parse(self, value: str) -> uuid.UUID | None:
        """``parse_uuid(value)``, remembered per spelling for the life of this object (one read
        of a source). The same spelling gives the same (immutable) UUID object."""
        found = self._parsed.get(value)
        if found is None:
            found = parse_uuid(value)
            if found is not None:
                if len(self._parsed) >= PARSED_CACHE_LIMIT:
                    self._parsed.clear()
                self._parsed[value] = found
        return found


def civic_key(civic_no: str) -> str:
    """The part of a civic number that identifies the person whatever way it was written:
    19800101-1234, 198001011234, 800101-1234 and 8001011234 give the same key (the last ten
    characters without separators, letters upper-cased for TF numbers). Two people whose numbers
    differ only in the century would collide; in a school register that would need a guardian
    aged over 100 with the same number as a pupil, which we accept."""
    return _NOT_ALNUM.sub("", civic_no).upper()[-10:]


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID written in ``value`` (any of Python's accepted spellings), or None."""
    if _CANONICAL.fullmatch(value):
        return _canonical_uuid(value)
    text = value.strip()
    if len(text) not in _UUID_LENGTHS:  # cheap test first: most natural keys are shorter
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


_new = object.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


def _canonical_uuid(text: str) -> uuid.UUID:
    """``uuid.UUID(text)`` for the canonical lower-case spelling (every register sends that),
    in half the time: the constructor's generic clean-up is what costs, and the format is
    already known to be right. Sets exactly the attributes ``UUID.__init__`` sets."""
    value = _new(uuid.UUID)
    _set(value, "int", int(text.replace("-", ""), 16))
    _set(value, "is_safe", _UNKNOWN)
    return value

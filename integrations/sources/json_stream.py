"""Reading the items of a large JSON file one at a time.

``json.load`` on a 500 MB persons file needs several GB of memory. The documents in an
SS 12000 file bundle have one of three shapes, and only the item list can be large:

- a page object ``{"data": [item, ...], "pageToken": ...}`` (keys in any order),
- a plain array ``[item, ...]``,
- a single entity ``{"id": ..., ...}`` (as Skolverket's sample files are).

This reader walks the outer structure itself and hands each item to ``json``'s own decoder
(``raw_decode``), so memory is bounded by the largest single item (``max_item_chars``), not by
the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

_WHITESPACE = " \t\r\n"
_COMMA = re.compile(r"[ \t\r\n]*,[ \t\r\n]*")
_DECODER = json.JSONDecoder()


class MalformedJson(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at character {offset})")
        self.offset = offset


class _Scanner:
    def __init__(self, stream: TextIO, chunk_chars: int, max_item_chars: int) -> None:
        self._stream = stream
        self._chunk = chunk_chars
        self._max_item = max_item_chars
        self._buf = ""
        self._pos = 0
        self._consumed = 0  # characters dropped from the front of the buffer
        self._eof = False

    @property
    def offset(self) -> int:
        return self._consumed + self._pos

    def _fill(self, want: int | None = None) -> bool:
        if self._eof:
            return False
        data = self._stream.read(want or self._chunk)
        if not data:
            self._eof = True
            return False
        self._consumed += self._pos
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return True

    def peek(self) -> str:
        """The next non-whitespace character ("" at the end), not consumed."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buf) or not self._fill():
                return self._buf[self._pos] if self._pos < len(self._buf) else ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise MalformedJson(f"expected {char!r}, found {found or 'end of file'!r}", self.offset)
        self._pos += 1

    def comma(self) -> bool:
        """Consumes a "," (and the whitespace around it) if one comes next. Between the items of
        a large array, in one regular-expression step: the general way below looks at each
        character in Python."""
        found = _COMMA.match(self._buf, self._pos)
        if found is not None and found.end() < len(self._buf):
            self._pos = found.end()
            return True
        if self.peek() == ",":
            self._pos += 1
            return True
        return False

    def value(self) -> Any:
        self.peek()
        want = self._chunk
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._eof:
                    raise MalformedJson(exc.msg, self._consumed + exc.pos) from None
                error: MalformedJson | None = MalformedJson(exc.msg, self._consumed + exc.pos)
            else:
                # A number or literal that ends exactly at the buffer's end may go on in the
                # next chunk ("12" of "1234"): only trust it once something follows it.
                if end < len(self._buf) or self._eof:
                    self._pos = end
                    return value
                error = None
            if len(self._buf) - self._pos > self._max_item:
                raise MalformedJson(
                    f"an item is larger than {self._max_item} characters or malformed",
                    self.offset,
                )
            if not self._fill(want) and error is not None:
                raise error
            want = min(want * 2, self._max_item)  # keeps re-decoding of a big item linear-ish


def iter_json_items(
    stream: TextIO, *, chunk_chars: int = 1 << 16, max_item_chars: int = 16 << 20
) -> Iterator[Any]:
    """Yields the items of a page object, a plain array or a single object (see module doc).
    Raises MalformedJson for anything else or a truncated file."""
    scan = _Scanner(stream, chunk_chars, max_item_chars)
    first = scan.peek()
    if first == "[":
        yield from _array(scan)
    elif first == "{":
        yield from _object(scan)
    else:
        raise MalformedJson("expected a JSON array or object", scan.offset)
    if scan.peek() != "":
        raise MalformedJson("unexpected data after the end of the document", scan.offset)


def _array(scan: _Scanner) -> Iterator[Any]:
    scan.expect("[")
    if scan.peek() == "]":
        scan.expect("]")
        return
    while True:
        yield scan.value()
        if scan.comma():
            continue
        scan.expect("]")
        return


def _object(scan: _Scanner) -> Iterator[Any]:
    """A page object streams its ``data``; any other object is one entity, yielded whole
    (its values are small, so collecting them is fine)."""
    scan.expect("{")
    fields: dict[str, Any] = {}
    saw_data = False
    if scan.peek() == "}":
        scan.expect("}")
        return
    while True:
        key = scan.value()
        if not isinstance(key, str):
            raise MalformedJson("object key is not a string", scan.offset)
        scan.expect(":")
        if key == "data" and scan.peek() == "[":
            saw_data = True
            yield from _array(scan)
        else:
            fields[key] = scan.value()
        if scan.peek() == ",":
            scan.expect(",")
            continue
        scan.expect("}")
        break
    if not saw_data:
        if "data" in fields:
            raise MalformedJson("the page's data is not an array", scan.offset)
        yield fields

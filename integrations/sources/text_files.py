"""Delimited text files from registers: encoding, delimiter and header detection.

Encoding, in this order (decided over the whole file, streamed, so an "ö" on line 90,000 counts):

1. a byte-order mark: UTF-8 (Excel's "CSV UTF-8"), UTF-16 LE/BE (Excel's "Unicode text");
2. the bytes decode as strict UTF-8: UTF-8 (pure ASCII lands here too, harmlessly);
3. the bytes decode as strict Windows-1252: Windows-1252 (ProCapita and most Windows exports);
4. otherwise ISO-8859-1, which decodes any byte.

UTF-8 first is safe: text in Windows-1252 with any letter beyond ASCII is practically never valid
UTF-8 ("ö" is 0xF6, a lead byte that needs continuation bytes the next letter does not give).
Windows-1252 and ISO-8859-1 agree on å, ä, ö, Å, Ä, Ö, é, ü.

Delimiter: the one of ``;``, ``,``, tab that occurs most often (outside quotes) in the header
line. Headers are matched after normalising: lower case, å/ä -> a, ö -> o, é -> e, spaces and
hyphens -> underscore ("Förnamn" -> "fornamn", "Skolenhets-kod" -> "skolenhets_kod").
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO

from integrations.sources.errors import SourceError

OpenBinary = Callable[[], AbstractContextManager[IO[bytes]]]

_CHUNK = 1 << 16
DELIMITERS = (";", ",", "\t")


def _decodes(open_binary: OpenBinary, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with open_binary() as stream:
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(open_binary: OpenBinary) -> str:
    with open_binary() as stream:
        head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        if _decodes(open_binary, encoding):
            return encoding
    return "latin-1"


def sniff_delimiter(header_line: str) -> str:
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ValueError("no delimiter")
    return best


def normalise_header(name: str) -> str:
    text = name.strip().lstrip("\ufeff").lower()
    # Decompose and drop the accents: å -> a, ä -> a, ö -> o, é -> e.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "_".join(text.replace("-", " ").split())


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # physical line in the file where the row starts (1 = header)
    values: dict[str, str]  # normalised header -> stripped value
    extra_cells: int = 0  # non-empty cells beyond the header's columns


@dataclass(frozen=True, slots=True)
class TableInfo:
    encoding: str
    delimiter: str
    headers: tuple[str, ...]


def read_table(open_binary: OpenBinary, name: str) -> tuple[TableInfo, Iterator[Row]]:
    """Detects the encoding, delimiter and header of ``name``; returns them and an iterator
    over the data rows (blank rows skipped), streaming."""
    encoding = detect_encoding(open_binary)
    with open_binary() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        header_line = text.readline()
    if not header_line.strip():
        raise SourceError(f"{name}: the file is empty (no header line)")
    try:
        delimiter = sniff_delimiter(header_line)
    except ValueError:
        raise SourceError(
            f"{name}: cannot tell the delimiter from the header line (expected ; , or tab)"
        ) from None
    headers = tuple(
        normalise_header(h) for h in next(csv.reader([header_line], delimiter=delimiter))
    )
    seen = [h for h in headers if h]
    duplicates = sorted({h for h in seen if seen.count(h) > 1})
    if duplicates:
        raise SourceError(f"{name}: repeated columns: {', '.join(duplicates)}")
    info = TableInfo(encoding, delimiter, headers)
    return info, _rows(open_binary, info, name)


def _rows(open_binary: OpenBinary, info: TableInfo, name: str) -> Iterator[Row]:
    with open_binary() as raw:
        text = io.TextIOWrapper(raw, encoding=info.encoding, newline="")
        reader = csv.reader(text, delimiter=info.delimiter)
        next(reader, None)  # header
        line = reader.line_num + 1
        try:
            for cells in reader:
                start, line = line, reader.line_num + 1
                if not any(c.strip() for c in cells):
                    continue
                values = {
                    h: (cells[i].strip() if i < len(cells) else "")
                    for i, h in enumerate(info.headers)
                    if h
                }
                extra = sum(1 for c in cells[len(info.headers) :] if c.strip())
                yield Row(start, values, extra)
        except csv.Error as exc:
            raise SourceError(f"{name}:{line}: unreadable CSV ({exc})") from None

"""A folder or a .zip archive of export files, read the same way."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO

from integrations.sources.errors import SourceError


def natural_key(name: str) -> list[object]:
    """persons2.json before persons10.json."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _hidden(name: str) -> bool:
    # macOS zips carry __MACOSX/ and ._ resource forks; editors leave dotfiles
    return any(part.startswith((".", "__MACOSX")) for part in PurePosixPath(name).parts)


class Bundle:
    """Files by their path inside the folder or archive ("/"-separated), at any depth: an
    archive often wraps everything in one top folder."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_dir():
            self._names = [
                p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()
            ]
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            self._names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        else:
            raise SourceError(f"{self.path.name}: not a folder or a .zip archive")
        self._names = sorted((n for n in self._names if not _hidden(n)), key=natural_key)

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def names(self) -> list[str]:
        return list(self._names)

    @contextmanager
    def open_binary(self, name: str) -> Iterator[IO[bytes]]:
        if self._zip is not None:
            with self._zip.open(name) as stream:
                yield stream
        else:
            with (self.path / name).open("rb") as stream:
                yield stream

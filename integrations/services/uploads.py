"""Register input given by hand: uploads through the API and paths given to the command.

An upload is kept under ``MEDIA_ROOT/<schema>/imports/<uuid>/`` for as long as its run may need
it (a dry run can be applied later, "as it was shown", from the same file). The client's file
name is never used as a path: a .zip is stored as ``upload.zip``, single export files under a
cleaned-up base name (the CSV and SS 12000 readers recognise files by name, e.g. ``elever.csv``,
``persons.json``). Archives are checked before a run is created: no absolute paths, no ``..``,
no links, no encrypted members, bounded member count and unpacked size (zip bombs).
"""

from __future__ import annotations

import re
import shutil
import stat
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

from django.conf import settings

from accounts.models import User
from core.db import connection
from integrations.models import ImportRun, ImportSource
from integrations.services.runs import import_run_create
from integrations.services.sources import tenant_id_secret
from integrations.sources.errors import SourceError

MiB = 1024 * 1024
# Settings IMPORT_UPLOAD_MAX_BYTES and IMPORT_UPLOAD_MAX_UNPACKED_BYTES may change these; the
# defaults fit the largest municipalities' exports.
DEFAULT_MAX_UPLOAD_BYTES = 256 * MiB
DEFAULT_MAX_UNPACKED_BYTES = 4096 * MiB
MAX_ARCHIVE_MEMBERS = 5000
MAX_FILES = 20
FILE_SOURCES = (ImportSource.SS12000_FILES, ImportSource.CSV)
PLAIN_EXTENSIONS = {
    ImportSource.SS12000_FILES: (".json",),
    ImportSource.CSV: (".csv", ".tsv", ".txt"),
}
_UNSAFE_CHARS = re.compile(r"[^\w.-]+")
_DRIVE = re.compile(r"^[A-Za-z]:")


class ImportInputInvalid(Exception):
    """The input cannot be imported; ``field`` names the request field, ``status`` the answer
    (400, or 413 when it is too large). Nothing was created."""

    def __init__(self, message: str, *, field: str = "file", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def upload_limit() -> int:
    """The largest upload accepted, in bytes (all files of one request together)."""
    return int(getattr(settings, "IMPORT_UPLOAD_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def unpacked_limit() -> int:
    """The largest total size an archive may unpack to, in bytes."""
    return int(getattr(settings, "IMPORT_UPLOAD_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES))


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < MiB:
        return f"{size / 1024:g} KB"
    return f"{size / MiB:g} MB"


def too_large() -> ImportInputInvalid:
    return ImportInputInvalid(
        f"The upload is larger than the limit of {size_text(upload_limit())}.", status=413
    )


class UploadedFileLike(Protocol):
    name: str | None
    size: int | None

    def chunks(self, chunk_size: int | None = None) -> Iterable[bytes]: ...


def import_source_check(*, source: str, path: Path) -> None:
    """Refuses input the run could not read, before any run exists: the path must be a folder
    or a .zip holding the files the source requires."""
    if source not in FILE_SOURCES:
        raise ImportInputInvalid(f"{source} reads no files.", field="source")
    if not path.exists():
        raise ImportInputInvalid(f"{path}: no such file or folder.")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ImportInputInvalid(f"{path.name}: not a folder or a .zip archive.")
        archive_check(path)
    elif not path.is_dir():
        raise ImportInputInvalid(f"{path.name}: not a folder or a .zip archive.")
    try:
        if source == ImportSource.CSV:
            from integrations.sources.csv_export import CsvExportSource

            CsvExportSource(path, id_secret=tenant_id_secret())
        else:
            from integrations.sources.ss12000_files import Ss12000FileSource

            Ss12000FileSource(path)
    except SourceError as error:
        raise ImportInputInvalid(str(error)) from None


def archive_check(path: Path) -> None:
    """Refuses archives whose members could escape a folder or blow up when read."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise ImportInputInvalid("The file is not a readable .zip archive.") from None
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ImportInputInvalid(f"The archive has more than {MAX_ARCHIVE_MEMBERS} files.")
    unpacked = 0
    for member in members:
        name = member.filename
        parts = PurePosixPath(name).parts
        if (
            not name
            or "\\" in name
            or "\x00" in name
            or name.startswith("/")
            or _DRIVE.match(name)
            or ".." in parts
        ):
            raise ImportInputInvalid(f"The archive holds an unsafe path: {name[:100]!r}.")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ImportInputInvalid(f"The archive holds a link: {name[:100]!r}.")
        if member.flag_bits & 0x1:
            raise ImportInputInvalid("The archive is encrypted; send it without a password.")
        unpacked += member.file_size
    if unpacked > unpacked_limit():
        raise ImportInputInvalid(
            f"The archive unpacks to more than {size_text(unpacked_limit())}.", status=413
        )


def _safe_name(client_name: str | None, source: str) -> str:
    base = PurePosixPath((client_name or "").replace("\\", "/")).name
    name = _UNSAFE_CHARS.sub("_", base).lstrip("._")[:100]
    if not name.lower().endswith(PLAIN_EXTENSIONS[ImportSource(source)]):
        allowed = ", ".join(PLAIN_EXTENSIONS[ImportSource(source)])
        raise ImportInputInvalid(
            f"{base[:100] or 'A file'}: send a .zip archive or files ending in {allowed}."
        )
    return name


def _write(upload: UploadedFileLike, target: Path, *, budget: int) -> int:
    """Copies the upload; returns the bytes left of the size budget."""
    with target.open("xb") as out:
        for chunk in upload.chunks():
            budget -= len(chunk)
            if budget < 0:
                raise too_large()
            out.write(chunk)
    return budget


def uploads_root() -> Path:
    """This municipality's folder of uploads (its schema's own media folder)."""
    return Path(settings.MEDIA_ROOT) / connection.schema_name / "imports"


def import_upload_store(*, source: str, files: list[UploadedFileLike]) -> Path:
    """Stores the upload in a new folder of its own and returns the path a run reads: the
    archive, or the folder of plain files. Checks everything; stores nothing when refused."""
    if source not in FILE_SOURCES:
        raise ImportInputInvalid(f"{source} takes no file.", field="source")
    if not files:
        raise ImportInputInvalid("Send the export as a .zip archive or as its files.")
    if len(files) > MAX_FILES:
        raise ImportInputInvalid(f"Send at most {MAX_FILES} files, or one .zip archive.")
    if sum(f.size or 0 for f in files) > upload_limit():
        raise too_large()
    folder = uploads_root() / uuid.uuid4().hex
    folder.mkdir(mode=0o700, parents=True)
    try:
        budget = upload_limit()
        stored: list[tuple[str | None, Path]] = []
        for number, upload in enumerate(files):
            part = folder / f"part-{number}"  # never the client's name: checked below first
            budget = _write(upload, part, budget=budget)
            stored.append((upload.name, part))
        archives = [part for _name, part in stored if zipfile.is_zipfile(part)]
        if archives:
            if len(stored) > 1:
                raise ImportInputInvalid("Send one .zip archive on its own, or plain files.")
            archive = archives[0].rename(folder / "upload.zip")
            import_source_check(source=source, path=archive)
            return archive
        names: set[str] = set()
        for client_name, part in stored:
            name = _safe_name(client_name, source)
            if name.lower() in names:
                raise ImportInputInvalid(f"Two files are named {name}.")
            names.add(name.lower())
            part.rename(folder / name)
        import_source_check(source=source, path=folder)
        return folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def import_run_create_from_upload(
    *,
    source: str,
    files: list[UploadedFileLike],
    trigger: str,
    dry_run: bool,
    requested_by: User | None,
) -> ImportRun:
    """Stores the upload and queues a run over it (the file stays for "apply as shown")."""
    path = import_upload_store(source=source, files=files)
    try:
        return import_run_create(
            source=source,
            source_path=str(path),
            trigger=trigger,
            dry_run=dry_run,
            requested_by=requested_by,
        )
    except BaseException:
        shutil.rmtree(path if path.is_dir() else path.parent, ignore_errors=True)
        raise

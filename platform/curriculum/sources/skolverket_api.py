"""Skolverket's Syllabus API (subjects v1): a curriculum source read over HTTP.

API (https://api.skolverket.se/syllabus, no key needed; docs/curriculum.md):

- ``GET /v1/subjects?schooltype=GR&timespan=LATEST&date=YYYY-MM-DD``: the subjects (code,
  version, dates) valid on the date; without ``schooltype`` every school type's.
- ``GET /v1/subjects/{code}/versions/{version}``: one version with its content (this client's
  detail read, so the version read is the version listed).
- ``GET /v1/subjects/{code}?date=``: the version valid on the date (``codes=`` without a list).
- ``GET /v1/subjects/{code}/versions``: every version of a subject (``all_versions``).

429, 5xx and network errors are retried with exponential backoff and jitter, honouring
``Retry-After``; a 404 for one subject skips it (an issue), a 404 for a list is an empty list
(Skolverket answers "Tomt svar" so). Other answers raise ``CurriculumSourceError``.
The same JSON saved to files is read by ``skolverket_files.SkolverketFileSource``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from curriculum.sources.parsing import date_of, dicts_of, int_of, subject_from_json, text_of
from curriculum.sources.records import CurriculumSourceError, SubjectRecord

DEFAULT_BASE_URL = "https://api.skolverket.se/syllabus"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
TIMESPANS = frozenset({"LATEST", "FUTURE", "EXPIRED", "MODIFIED"})


@dataclass(frozen=True, slots=True)
class SubjectSummary:
    code: str
    version: int | None
    valid_from: dt.date | None = None


@dataclass(frozen=True, slots=True)
class SkolverketApiConfig:
    """What to read and how patiently. ``base_url`` ends where ``/v1/...`` begins."""

    base_url: str = DEFAULT_BASE_URL
    school_types: tuple[str, ...] = ()  # e.g. ("GR", "GY"); () lists every school type
    codes: tuple[str, ...] = ()  # read just these subjects (no list request)
    timespans: tuple[str, ...] = ("LATEST",)  # add "FUTURE" to import upcoming versions early
    date: dt.date | None = None  # the search date; Skolverket's default is today
    all_versions: bool = False  # every version of each subject, not only the listed one
    timeout_seconds: float = 30.0
    max_attempts: int = 5  # per request, first try included
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    max_response_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        unknown = set(self.timespans) - TIMESPANS
        if unknown:
            raise ValueError(f"unknown timespan(s): {', '.join(sorted(unknown))}")


def _retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class SkolverketApiSource:
    """Reads subject versions from the Syllabus API. ``client``, ``sleep`` and ``rng`` are
    injectable for tests (an ``httpx.Client`` with a ``MockTransport``)."""

    def __init__(
        self,
        config: SkolverketApiConfig | None = None,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.config = config or SkolverketApiConfig()
        base = self.config.base_url.rstrip("/")
        self._base = base.removesuffix("/v1")
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=self.config.timeout_seconds)
        self._sleep = sleep
        self._rng = rng
        self.issues: list[str] = []
        self.requests = 0
        self.retries = 0

    def __enter__(self) -> SkolverketApiSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    # -- the Source protocol ------------------------------------------------------------------

    def read(self) -> Iterator[SubjectRecord]:
        """Every wanted subject version, each read in full (one request per version)."""
        seen: set[tuple[str, int]] = set()
        for summary in self._wanted():
            record = self.subject(summary.code, summary.version)
            if record is not None and (record.code, record.version) not in seen:
                seen.add((record.code, record.version))
                yield record

    def _wanted(self) -> Iterator[SubjectSummary]:
        if self.config.codes:
            summaries: list[SubjectSummary] = [SubjectSummary(c, None) for c in self.config.codes]
        else:
            summaries = self.subject_list()
        for summary in summaries:
            if self.config.all_versions:
                yield from self.subject_versions(summary.code)
            else:
                yield summary

    # -- reads --------------------------------------------------------------------------------

    def subject_list(self) -> list[SubjectSummary]:
        """The subjects listed for every configured school type and timespan, each once."""
        out: dict[tuple[str, int | None], SubjectSummary] = {}
        for school_type in self.config.school_types or ("",):
            for timespan in self.config.timespans:
                params = [("timespan", timespan)]
                if school_type:
                    params.append(("schooltype", school_type))
                if self.config.date:
                    params.append(("date", self.config.date.isoformat()))
                payload = self._get("/v1/subjects", params, what="subject list", missing_ok=True)
                for summary in self._summaries(payload, "subject list"):
                    out.setdefault((summary.code, summary.version), summary)
        return list(out.values())

    def subject_versions(self, code: str) -> list[SubjectSummary]:
        path = f"/v1/subjects/{_quote(code)}/versions"
        payload = self._get(path, [], what=f"versions of {code}", missing_ok=True)
        summaries = self._summaries(payload, f"versions of {code}")
        if payload is None:
            self.issues.append(f"{code}: Skolverket knows no versions; skipped")
        return summaries

    def subject(self, code: str, version: int | None = None) -> SubjectRecord | None:
        """One subject version (the one valid on the configured date when ``version`` is
        None), or None when Skolverket has no such subject (recorded as an issue)."""
        if version is None:
            path = f"/v1/subjects/{_quote(code)}"
            params = [("date", self.config.date.isoformat())] if self.config.date else []
            what = f"subject {code}"
        else:
            path = f"/v1/subjects/{_quote(code)}/versions/{version}"
            params = []
            what = f"subject {code} version {version}"
        payload = self._get(path, params, what=what, missing_ok=True)
        if payload is None:
            self.issues.append(f"{what}: not found at Skolverket; skipped")
            return None
        record, issues = subject_from_json(payload, origin=what)
        self.issues.extend(issues)
        return record

    def _summaries(self, payload: Any, what: str) -> list[SubjectSummary]:
        if payload is None:
            return []
        if not isinstance(payload, Mapping) or not isinstance(payload.get("subjects"), list):
            raise CurriculumSourceError(f"{what}: the answer has no subjects array")
        out = []
        for index, row in enumerate(dicts_of(payload["subjects"])):
            code = text_of(row.get("code"))
            if not code:
                self.issues.append(f"{what}: entry {index} has no code; skipped")
                continue
            out.append(
                SubjectSummary(code, int_of(row.get("version")), date_of(row.get("startDate")))
            )
        return out

    # -- HTTP ---------------------------------------------------------------------------------

    def _get(
        self, path: str, params: Sequence[tuple[str, str]], *, what: str, missing_ok: bool
    ) -> Any:
        """The JSON of GET base + path; None for a 404 when ``missing_ok``."""
        url = self._base + path
        cfg = self.config
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            delay: float | None = None
            try:
                status, headers, body = self._fetch(url, params)
            except httpx.TransportError as exc:
                if attempt >= cfg.max_attempts:
                    raise CurriculumSourceError(
                        f"{what}: no answer after {attempt} attempts ({type(exc).__name__})"
                    ) from exc
            else:
                if status == 200:
                    try:
                        return json.loads(body)
                    except ValueError as exc:
                        raise CurriculumSourceError(f"{what}: the answer is not JSON") from exc
                if status == 404 and missing_ok:
                    return None
                if status not in RETRIED_STATUSES:
                    raise CurriculumSourceError(f"{what}: HTTP {status}")
                if attempt >= cfg.max_attempts:
                    raise CurriculumSourceError(f"{what}: HTTP {status} after {attempt} attempts")
                delay = _retry_after_seconds(headers.get("retry-after"), dt.datetime.now(dt.UTC))
            if delay is None:
                backoff = cfg.backoff_base_seconds * 2 ** (attempt - 1)
                delay = min(cfg.backoff_max_seconds, backoff) * (0.5 + self._rng() / 2)
            self.retries += 1
            self._sleep(min(delay, cfg.max_retry_after_seconds))

    def _fetch(
        self, url: str, params: Sequence[tuple[str, str]]
    ) -> tuple[int, httpx.Headers, bytes]:
        headers = {"Accept": "application/json", "User-Agent": "Larspar curriculum import"}
        limit = self.config.max_response_bytes
        with self._client.stream("GET", url, params=list(params), headers=headers) as response:
            chunks: list[bytes] = []
            size = 0
            if response.status_code == 200:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise CurriculumSourceError(f"{url}: the answer exceeds {limit} bytes")
                    chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)


def _quote(code: str) -> str:
    return quote(code, safe="")

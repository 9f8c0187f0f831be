"""The Syllabus API client against a local fake (httpx.MockTransport), and the file source."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from curriculum.sources.records import CurriculumSourceError
from curriculum.sources.skolverket_api import SkolverketApiConfig, SkolverketApiSource
from curriculum.sources.skolverket_files import SkolverketFileSource
from tests.curriculum.support import fixture, grgrmat01, mat, new_version

BASE = "https://syllabus.test/syllabus"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeSkolverket:
    """Answers like the Syllabus API from the fixtures; records the requests it saw."""

    def __init__(self) -> None:
        self.subjects: dict[tuple[str, int], dict[str, Any]] = {
            ("GRGRMAT01", 14): grgrmat01(),
            ("MAT", 11): mat(),
        }
        self.requests: list[httpx.Request] = []
        self.failures: list[httpx.Response] = []  # answered first, one per request

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            return self.failures.pop(0)
        path = request.url.path.removeprefix("/syllabus")
        parts = path.strip("/").split("/")
        if parts == ["v1", "subjects"]:
            listing = fixture("subjects_list.json")
            school_type = request.url.params.get("schooltype")
            if school_type:
                listing["subjects"] = [
                    s for s in listing["subjects"] if school_type in s.get("schoolTypes", [])
                ]
            return httpx.Response(200, json=listing)
        if len(parts) == 3:  # /v1/subjects/{code}: the latest version
            versions = [v for (c, v) in self.subjects if c == parts[2]]
            if not versions:
                return httpx.Response(404, json={"code": 404, "message": "Tomt svar."})
            return httpx.Response(200, json=self.subjects[(parts[2], max(versions))])
        if len(parts) == 4 and parts[3] == "versions":
            rows = [{"code": c, "version": v} for (c, v) in sorted(self.subjects) if c == parts[2]]
            return httpx.Response(200, json={"subjects": rows})
        if len(parts) == 5 and parts[3] == "versions":
            payload = self.subjects.get((parts[2], int(parts[4])))
            if payload is None:
                return httpx.Response(404, json={"code": 404, "message": "Tomt svar."})
            return httpx.Response(200, json=payload)
        return httpx.Response(400, json={"code": 400, "message": "Felaktigt anrop."})

    def paths(self) -> list[str]:
        return [r.url.path.removeprefix("/syllabus") for r in self.requests]


def source_for(
    fake: FakeSkolverket, sleeps: list[float] | None = None, **config: Any
) -> SkolverketApiSource:
    client = httpx.Client(transport=httpx.MockTransport(fake))
    return SkolverketApiSource(
        SkolverketApiConfig(base_url=BASE, **config),
        client=client,
        sleep=(sleeps if sleeps is not None else []).append,
        rng=lambda: 1.0,
    )


def test_the_listed_subjects_are_read_version_by_version() -> None:
    # Given the fake API with two subjects and a listed entry without a code
    fake = FakeSkolverket()
    # When every listed subject is read
    with source_for(fake) as source:
        records = list(source.read())
    # Then each was fetched at the listed version and parsed
    assert [(r.code, r.version) for r in records] == [("GRGRMAT01", 14), ("MAT", 11)]
    assert fake.paths() == [
        "/v1/subjects",
        "/v1/subjects/GRGRMAT01/versions/14",
        "/v1/subjects/MAT/versions/11",
    ]
    assert fake.requests[0].url.params["timespan"] == "LATEST"
    assert source.issues == ["subject list: entry 2 has no code; skipped"]


def test_school_types_and_date_are_sent_as_list_filters() -> None:
    import datetime as dt

    fake = FakeSkolverket()
    with source_for(fake, school_types=("GY",), date=dt.date(2025, 1, 15)) as source:
        records = list(source.read())
    assert [r.code for r in records] == ["MAT"]
    params = fake.requests[0].url.params
    assert (params["schooltype"], params["date"]) == ("GY", "2025-01-15")


def test_codes_and_all_versions_read_every_version_of_those_subjects() -> None:
    # Given two versions of GRGRMAT01
    fake = FakeSkolverket()
    fake.subjects[("GRGRMAT01", 15)] = new_version(grgrmat01(), 15)
    # When all versions of that code are asked for
    with source_for(fake, codes=("GRGRMAT01",), all_versions=True) as source:
        records = list(source.read())
    # Then both versions are read, without listing every subject
    assert [(r.code, r.version) for r in records] == [("GRGRMAT01", 14), ("GRGRMAT01", 15)]
    assert fake.paths()[0] == "/v1/subjects/GRGRMAT01/versions"


def test_a_code_alone_reads_the_version_valid_today() -> None:
    fake = FakeSkolverket()
    with source_for(fake, codes=("MAT", "NOPE")) as source:
        records = list(source.read())
    assert [(r.code, r.version) for r in records] == [("MAT", 11)]
    assert source.issues == ["subject NOPE: not found at Skolverket; skipped"]


def test_429_and_5xx_are_retried_with_backoff_honouring_retry_after() -> None:
    # Given an API that is rate limited once and unavailable twice
    fake = FakeSkolverket()
    fake.failures = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503),
        httpx.Response(502),
    ]
    sleeps: list[float] = []
    # When the subjects are read
    with source_for(fake, sleeps, backoff_base_seconds=2.0) as source:
        records = list(source.read())
    # Then it waited as told, then backed off exponentially, and got everything
    assert len(records) == 2
    assert sleeps == [7.0, 4.0, 8.0]
    assert source.retries == 3


def test_network_errors_are_retried_too() -> None:
    calls = {"n": 0}
    fake = FakeSkolverket()

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        return fake(request)

    client = httpx.Client(transport=httpx.MockTransport(flaky))
    source = SkolverketApiSource(
        SkolverketApiConfig(base_url=BASE, codes=("MAT",)), client=client, sleep=lambda _: None
    )
    assert [r.code for r in source.read()] == ["MAT"]


def test_the_client_gives_up_after_max_attempts() -> None:
    fake = FakeSkolverket()
    fake.failures = [httpx.Response(500)] * 3
    sleeps: list[float] = []
    with (
        source_for(fake, sleeps, max_attempts=3) as source,
        pytest.raises(CurriculumSourceError, match=r"HTTP 500 after 3 attempts"),
    ):
        list(source.read())
    assert len(sleeps) == 2


def test_a_client_error_is_not_retried() -> None:
    fake = FakeSkolverket()
    fake.failures = [httpx.Response(400, json={"code": 400})]
    with source_for(fake) as source, pytest.raises(CurriculumSourceError, match="HTTP 400"):
        list(source.read())
    assert len(fake.requests) == 1


def test_an_answer_that_is_not_json_is_an_error() -> None:
    fake = FakeSkolverket()
    fake.failures = [httpx.Response(200, content=b"<html>maintenance</html>")]
    with source_for(fake) as source, pytest.raises(CurriculumSourceError, match="not JSON"):
        list(source.read())


def test_an_empty_list_is_404_and_reads_nothing() -> None:
    fake = FakeSkolverket()
    fake.failures = [httpx.Response(404, json={"code": 404, "message": "Tomt svar."})]
    with source_for(fake) as source:
        assert list(source.read()) == []


def test_a_base_url_with_v1_is_accepted() -> None:
    fake = FakeSkolverket()
    client = httpx.Client(transport=httpx.MockTransport(fake))
    source = SkolverketApiSource(
        SkolverketApiConfig(base_url=f"{BASE}/v1/", codes=("MAT",)), client=client
    )
    list(source.read())
    assert fake.paths() == ["/v1/subjects/MAT"]


# --- Files -------------------------------------------------------------------------------------


def write(folder: Path, name: str, payload: Any) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    (folder / name).write_text(text, encoding="utf-8")


def test_a_folder_of_subject_files_is_read_and_other_files_reported(tmp_path: Path) -> None:
    # Given subject answers, a bare subject object, a saved list, broken JSON and a text file
    write(tmp_path, "a_GRGRMAT01.json", grgrmat01())
    write(tmp_path, "b_MAT.json", mat()["subject"])
    write(tmp_path, "c_list.json", fixture("subjects_list.json"))
    write(tmp_path, "d_broken.json", "{not json")
    write(tmp_path, "notes.txt", "ignored")
    source = SkolverketFileSource(tmp_path)
    # When the folder is read
    records = list(source.read())
    # Then the subjects are parsed and the rest reported
    assert [(r.code, r.version) for r in records] == [("GRGRMAT01", 14), ("MAT", 11)]
    assert source.issues == [
        "c_list.json: a subject list, not a subject; skipped",
        "d_broken.json: not readable JSON (JSONDecodeError)",
    ]


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CurriculumSourceError, match="not a folder"):
        list(SkolverketFileSource(tmp_path / "missing").read())

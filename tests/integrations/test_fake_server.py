"""The fake SS 12000 server: the spec's paging, tokens, filters, deletions and injected faults,
over real HTTP (urllib), and our SS 12000 API client reading a synthetic municipality from it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from integrations.records import Entity, PersonRecord, SourceIssue
from integrations.synthetic import apply_delta, generate_municipality
from integrations.synthetic.generator import SyntheticMunicipality
from integrations.synthetic.ss12000_json import format_datetime, iter_entity_json
from tests.fakes.ss12000_server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    RESTART_CODE,
    FakeSS12000Server,
    running_fake_ss12000,
)

TOKEN = "test-token"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


def call(
    server: FakeSS12000Server,
    path: str,
    params: list[tuple[str, str]] | None = None,
    *,
    token: str | None = TOKEN,
) -> Answer:
    url = server.base_url + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url)  # noqa: S310 - http://127.0.0.1 only
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    return _send(request)


def post_token(server: FakeSS12000Server, form: dict[str, str], **headers: str) -> Answer:
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        server.token_url, data=urllib.parse.urlencode(form).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    for key, value in headers.items():
        request.add_header(key, value)
    return _send(request)


def _send(request: urllib.request.Request) -> Answer:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def walk(
    server: FakeSS12000Server, path: str, first: list[tuple[str, str]], limit: int
) -> Iterator[Answer]:
    """Every page, the spec's way: follow-ups carry only pageToken and limit."""
    answer = call(server, path, [*first, ("limit", str(limit))])
    yield answer
    while answer.status == 200 and answer.json["pageToken"]:
        answer = call(
            server, path, [("pageToken", answer.json["pageToken"]), ("limit", str(limit))]
        )
        yield answer


@pytest.fixture(scope="module")
def municipality() -> SyntheticMunicipality:
    return generate_municipality(pupils=250, seed=42)


@pytest.fixture
def server(municipality: SyntheticMunicipality) -> Iterator[FakeSS12000Server]:
    with running_fake_ss12000(municipality, page_size=100, token=TOKEN) as running:
        yield running


# --- tokens --------------------------------------------------------------------------------------


def test_token_endpoint_issues_bearer_tokens(server: FakeSS12000Server) -> None:
    # When a client asks for a token with its credentials in the form body
    answer = post_token(
        server,
        {
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    # Then it gets an OAuth2 token response, and the token opens the API
    assert answer.status == 200
    body = answer.json
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int)
    assert call(server, "/organisations", token=body["access_token"]).status == 200


def test_token_endpoint_accepts_http_basic_and_refuses_wrong_credentials(
    server: FakeSS12000Server,
) -> None:
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    wrong = base64.b64encode(f"{DEFAULT_CLIENT_ID}:nope".encode()).decode()
    grant = {"grant_type": "client_credentials"}
    assert post_token(server, grant, Authorization=f"Basic {basic}").status == 200
    refused = post_token(server, grant, Authorization=f"Basic {wrong}")
    assert refused.status == 401
    assert refused.json == {"error": "invalid_client"}
    other_grant = {"grant_type": "password", "client_id": DEFAULT_CLIENT_ID}
    other_grant["client_secret"] = DEFAULT_CLIENT_SECRET
    assert post_token(server, other_grant).json == {"error": "unsupported_grant_type"}


def test_api_refuses_requests_without_a_valid_token(server: FakeSS12000Server) -> None:
    # When the API is called without a token, with a wrong one, and after tokens expired
    missing = call(server, "/persons", token=None)
    wrong = call(server, "/persons", token="not-a-token")
    server.expire_access_tokens()
    expired = call(server, "/persons", token=TOKEN)
    # Then each is 401 with the spec's Error body and a Bearer challenge
    for answer in (missing, wrong, expired):
        assert answer.status == 401
        assert set(answer.json) == {"code", "message"}
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


# --- paging --------------------------------------------------------------------------------------


def test_paging_returns_everything_once(
    server: FakeSS12000Server, municipality: SyntheticMunicipality
) -> None:
    # When persons are read 40 at a time
    answers = list(walk(server, "/persons", [], limit=40))
    # Then every page is 200, the last has a null pageToken, and together they are all persons
    assert all(a.status == 200 for a in answers)
    assert answers[-1].json["pageToken"] is None
    served = [item for a in answers for item in a.json["data"]]
    assert served == list(iter_entity_json(municipality, Entity.PERSON))
    assert all(len(a.json["data"]) == 40 for a in answers[:-1])
    # and the follow-ups carried only pageToken and limit
    logged = server.api_requests("/persons")
    assert logged[0].param_names == {"limit"}
    assert all(r.param_names == {"pageToken", "limit"} for r in logged[1:])


def test_page_token_remembers_the_filters(server: FakeSS12000Server) -> None:
    # Given a filtered first page (modified after a time in the middle of the data)
    everything = [i for a in walk(server, "/groups", [], limit=100) for i in a.json["data"]]
    times = sorted(item["meta"]["modified"] for item in everything)
    middle = times[len(times) // 2]
    # When the rest is read with pageTokens only
    answers = list(walk(server, "/groups", [("meta.modified.after", middle)], limit=7))
    served = [item for a in answers for item in a.json["data"]]
    # Then every page kept the filter
    assert len(answers) > 1
    assert served == [item for item in everything if item["meta"]["modified"] > middle]


def test_page_token_with_another_parameter_is_a_bad_request(server: FakeSS12000Server) -> None:
    first = call(server, "/persons", [("limit", "10")]).json
    token = first["pageToken"]
    # When a follow-up repeats a filter or adds expand next to the pageToken
    for extra in (("meta.modified.after", "2020-01-01T00:00:00Z"), ("expand", "duties")):
        answer = call(server, "/persons", [("pageToken", token), extra])
        # Then the server answers 400 with the spec's Error body
        assert answer.status == 400
        assert answer.json["code"] == "INVALID_FILTER_COMBINATION"
    # and an unreadable token is a 400 too
    assert call(server, "/persons", [("pageToken", "garbage!")]).status == 400


def test_limit_is_capped_and_validated(server: FakeSS12000Server) -> None:
    assert len(call(server, "/persons", [("limit", "5000")]).json["data"]) == 100
    assert len(call(server, "/persons").json["data"]) == 100  # no limit: the server's page
    assert call(server, "/persons", [("limit", "0")]).status == 400
    assert call(server, "/persons", [("sortkey", "ModifiedDesc")]).json["code"] == (
        "UNSUPPORTED_PARAMETER"
    )


def test_410_restart_from_first_page(server: FakeSS12000Server) -> None:
    # Given a client in the middle of paging
    first = call(server, "/persons", [("limit", "50")]).json
    # When the server's data changes (page tokens expire)
    server.expire_page_tokens()
    follow_up = call(server, "/persons", [("pageToken", first["pageToken"]), ("limit", "50")])
    # Then the follow-up answers 410 NEW_DATA_RESTART_FROM_FIRST_PAGE (Error schema)
    assert follow_up.status == 410
    assert follow_up.json["code"] == RESTART_CODE
    assert set(follow_up.json) == {"code", "message"}
    # and restarting from the first page works to the end
    answers = list(walk(server, "/persons", [], limit=50))
    assert all(a.status == 200 for a in answers)


def test_tokens_can_expire_after_some_pages(server: FakeSS12000Server) -> None:
    server.expire_page_tokens(after_pages=2)
    answers = list(walk(server, "/persons", [], limit=50))
    assert [a.status for a in answers] == [200, 200, 410]


# --- filters, expand, single items ------------------------------------------------------------


def test_expand_and_single_items(
    server: FakeSS12000Server, municipality: SyntheticMunicipality
) -> None:
    pupil = next(p for p in municipality.iter_persons() if p.responsibles)
    guardian_id = str(pupil.responsibles[0].guardian_id)
    # When a guardian is fetched by id with expand=responsibleFor
    answer = call(server, f"/persons/{guardian_id}", [("expand", "responsibleFor")])
    # Then the child is among the embedded responsibleFor
    assert answer.status == 200
    children = [r["person"]["id"] for r in answer.json["_embedded"]["responsibleFor"]]
    assert str(pupil.source_id) in children
    # Activities with expand=syllabus carry the syllabus with a subject or course code
    activities = call(server, "/activities", [("expand", "syllabus")]).json["data"]
    embedded = [a["_embedded"]["syllabus"] for a in activities if "syllabus" in a]
    assert embedded
    assert all("courseCode" in s or "subjectCode" in s or s["schoolType"] == "GR" for s in embedded)
    # Groups with assignmentRoles, duties with their person
    groups = call(server, "/groups", [("expand", "assignmentRoles")]).json["data"]
    assert any(g["_embedded"]["assignmentRoles"] for g in groups)
    duties = call(server, "/duties", [("expand", "person")]).json["data"]
    assert all(d["_embedded"]["person"]["id"] == d["person"]["id"] for d in duties)
    # Unknown expand values and ids are refused
    assert call(server, "/groups", [("expand", "persons")]).status == 400
    assert call(server, "/persons/00000000-0000-4000-8000-000000000000").status == 404


def test_utf8_names_survive_http(server: FakeSS12000Server) -> None:
    answer = call(server, "/persons", [("limit", "100")])
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    text = answer.raw.decode("utf-8")
    assert any(letter in text for letter in "åäöÅÄÖ")


# --- deltas and deletions ----------------------------------------------------------------------


def test_changes_and_deleted_entities_after_a_delta(
    server: FakeSS12000Server, municipality: SyntheticMunicipality
) -> None:
    # Given the server switched to the municipality one day (one delta) later
    result = apply_delta(municipality, fraction=0.04, seed=3)
    server.set_municipality(result.municipality)
    since = format_datetime(municipality.now)
    # When a client asks what changed since the first version
    changed = [
        item
        for a in walk(server, "/persons", [("meta.modified.after", since)], limit=100)
        for item in a.json["data"]
    ]
    deleted_pages = list(walk(server, "/deletedEntities", [("after", since)], limit=2))
    # Then it gets exactly the changed persons ...
    expected = {
        str(p.source_id)
        for p in result.municipality.iter_persons()
        if p.modified is not None and p.modified > municipality.now
    }
    assert {item["id"] for item in changed} == expected
    assert set(map(str, result.joined)) <= expected
    # ... and, paged, the deleted ids under the spec's keys
    assert len(deleted_pages) > 1
    deleted = [i for page in deleted_pages for i in page.json["data"]["persons"]]
    assert set(deleted) == {str(i) for i in result.deleted_ids}
    assert set(deleted_pages[0].json["data"]) == {
        "organisations",
        "persons",
        "groups",
        "duties",
        "activitites",
    }
    # and nothing was deleted after the delta, nor among groups
    assert (
        call(server, "/deletedEntities", [("after", format_datetime(result.at))]).json["data"][
            "persons"
        ]
        == []
    )
    only_groups = call(server, "/deletedEntities", [("after", since), ("entities", "Group")])
    assert only_groups.json["data"]["persons"] == []


# --- injected faults ---------------------------------------------------------------------------


def test_injected_failures_with_retry_after(server: FakeSS12000Server) -> None:
    server.fail_next(503, times=2, retry_after=7, endpoint="/persons")
    answers = [call(server, "/persons") for _ in range(3)]
    assert [a.status for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "7"
    assert answers[0].json["code"] == "SERVICE_UNAVAILABLE"
    # A failure for one endpoint leaves the others alone
    server.fail_next(429, endpoint="/groups")
    assert call(server, "/persons").status == 200
    assert call(server, "/groups").status == 429


def test_truncated_response_is_malformed_json(server: FakeSS12000Server) -> None:
    server.truncate_next_response()
    answer = call(server, "/persons")
    assert answer.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.raw)
    assert call(server, "/persons").json["data"]


# --- our API client against the fake -----------------------------------------------------------


def _api_source(server: FakeSS12000Server, **overrides: Any) -> Any:
    from integrations.sources.ss12000_api import Ss12000ApiConfig, Ss12000ApiSource

    config = Ss12000ApiConfig(
        base_url=server.base_url,
        token_url=server.token_url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        page_size=overrides.pop("page_size", 60),
        **overrides,
    )
    return Ss12000ApiSource(config, sleep=lambda _: None)


def _key(record: object) -> str:
    return f"{type(record).__name__}:{getattr(record, 'source_id', '')}"


def test_api_client_reads_the_whole_municipality_through_faults(
    server: FakeSS12000Server, municipality: SyntheticMunicipality
) -> None:
    # Given a server whose tokens expired, that fails twice and restarts paging once
    server.expire_access_tokens()
    server.fail_next(503, times=2, retry_after=0, endpoint="/persons")
    server.expire_page_tokens(after_pages=3)
    # When our SS 12000 client reads everything
    with _api_source(server) as source:
        items = list(source.read())
        stats = source.stats
    # Then it got exactly the generated records (those before the restart twice), with one
    # warning for the restart
    records = {_key(i): i for i in items if not isinstance(i, SourceIssue)}
    issues = [i for i in items if isinstance(i, SourceIssue)]
    assert records == {_key(r): r for r in municipality.iter_all()}
    assert [i.severity for i in issues] == ["warning"]
    assert sum(stats.restarts.values()) == 1
    assert stats.retries >= 2


def test_api_client_reads_a_delta_incrementally(
    server: FakeSS12000Server, municipality: SyntheticMunicipality
) -> None:
    # Given a first full read and then a day's changes on the server
    with _api_source(server) as source:
        list(source.read())
        checkpoints = source.checkpoints
    result = apply_delta(municipality, fraction=0.04, seed=8)
    server.set_municipality(result.municipality)
    # When the client asks for the changes since its checkpoints
    with _api_source(server) as source:
        items = list(source.read_changes(checkpoints))
    # Then it gets the changed persons and the deletions
    persons = {i.source_id for i in items if isinstance(i, PersonRecord)}
    deleted = {i.source_id for i in items if type(i).__name__ == "DeletedRecord"}
    assert set(result.joined) | set(result.renamed) | set(result.protected) <= persons
    assert deleted == set(result.deleted_ids)
    assert not [i for i in items if isinstance(i, SourceIssue)]


def test_api_client_stops_on_a_truncated_page(server: FakeSS12000Server) -> None:
    from integrations.sources.errors import SourceError

    # Given a server that cuts its next response in half
    server.truncate_next_response()
    # When our client reads
    # Then it stops with a clear error instead of importing half a page
    with _api_source(server) as source, pytest.raises(SourceError, match="malformed JSON"):
        list(source.read())

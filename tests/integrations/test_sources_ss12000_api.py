"""The SS 12000 API client: paging, restarts, retries, tokens, errors, incremental sync.

The register is a scripted fake behind httpx.MockTransport (``FakeRegister``); one test goes
over a real socket to a tiny http.server. No database.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from integrations.records import DeletedRecord, Entity, OrganisationRecord, SourceIssue
from integrations.sources.errors import SourceError
from integrations.sources.ss12000_api import Ss12000ApiConfig, Ss12000ApiSource

BASE = "https://register.test/ss12000/v2"
TOKEN_URL = "https://idp.test/connect/token"
SERVER_DATE = "Tue, 03 Sep 2024 06:00:00 GMT"
SERVER_TIME = dt.datetime(2024, 9, 3, 6, 0, tzinfo=dt.UTC)

Handler = Callable[[httpx.Request], httpx.Response]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = json.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"Date": SERVER_DATE, **(headers or {})})


class FakeRegister:
    """Issues tokens, checks them, and answers each path from a script (the last answer
    repeats). Unscripted paths answer an empty page."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self.routes: dict[str, list[Handler]] = {}
        self.token_handler: Handler | None = None
        self.expires_in: int | None = 3600

    def on(self, path: str, *answers: Handler) -> None:
        self.routes.setdefault(path, []).extend(answers)

    def paged(self, path: str, pages: list[list[dict[str, Any]]]) -> Handler:
        """An answer serving ``pages``: the first without a token, then "p2", "p3"..."""

        def answer(request: httpx.Request) -> httpx.Response:
            token = request.url.params.get("pageToken")
            index = int(token[1:]) - 1 if token else 0
            more = index + 1 < len(pages)
            body = {"data": pages[index], "pageToken": f"p{index + 2}" if more else None}
            return json_response(200, body)

        return answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == TOKEN_URL:
            if self.token_handler is not None:
                return self.token_handler(request)
            self.tokens_issued += 1
            token = f"token-{self.tokens_issued}"
            self.valid_tokens.add(token)
            body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return json_response(200, body)
        if (
            request.headers.get("Authorization", "").removeprefix("Bearer ")
            not in self.valid_tokens
        ):
            return json_response(401, {"code": "UNAUTHORIZED", "message": "bad token"})
        answers = self.routes.get(request.url.path.removeprefix("/ss12000/v2"))
        if not answers:
            return json_response(200, {"data": [], "pageToken": None})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request)

    def calls(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == f"/ss12000/v2{path}"]


def make_source(
    register: FakeRegister,
    *,
    sleeps: list[float] | None = None,
    clock: list[float] | None = None,
    **config: Any,
) -> Ss12000ApiSource:
    settings: dict[str, Any] = {
        "base_url": BASE,
        "token_url": TOKEN_URL,
        "client_id": "larspar-ale",
        "client_secret": "s3cret-value",
        "page_size": 2,
    } | config
    ticks = clock if clock is not None else [0.0]
    return Ss12000ApiSource(
        Ss12000ApiConfig(**settings),
        client=httpx.Client(transport=httpx.MockTransport(register)),
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: SERVER_TIME,
        monotonic=lambda: ticks[0],
        rng=lambda: 0.5,
    )


def org(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=n)),
        "displayName": f"Skolenhet {n}",
        "organisationType": "Skolenhet",
        "schoolUnitCode": str(10000000 + n),
        "meta": {"created": "2024-01-01T00:00:00Z", "modified": "2024-08-01T00:00:00Z"},
    } | extra


def orgs_read(items: list[Any]) -> list[int]:
    return [i.source_id.int for i in items if isinstance(i, OrganisationRecord)]


def params(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


# -- paging ---------------------------------------------------------------------------------


def test_follow_up_pages_send_only_page_token_and_limit() -> None:
    # Given a register with five organisations in pages of two
    register = FakeRegister()
    register.on(
        "/organisations",
        register.paged("/organisations", [[org(1), org(2)], [org(3), org(4)], [org(5)]]),
    )
    source = make_source(register, page_size=2)

    # When the organisations are read
    items = list(source.read([Entity.ORGANISATION]))

    # Then all five came, in order, over three requests
    assert orgs_read(items) == [1, 2, 3, 4, 5]
    calls = register.calls("/organisations")
    assert [params(c) for c in calls] == [
        [("limit", "2")],
        [("pageToken", "p2"), ("limit", "2")],
        [("pageToken", "p3"), ("limit", "2")],
    ]
    assert source.stats.pages == {"/organisations": 3}
    assert source.checkpoints == {Entity.ORGANISATION: SERVER_TIME}


def test_first_request_carries_filters_and_follow_ups_do_not() -> None:
    # Given activities on two pages
    register = FakeRegister()
    register.on("/activities", register.paged("/activities", [[], []]))
    source = make_source(register)
    since = {Entity.ACTIVITY: dt.datetime(2024, 9, 1, 12, 0, tzinfo=dt.UTC)}

    # When changes are read
    list(source.read_changes(since))

    # Then the first activities request has the filter (minus the 5-minute overlap) and the
    # expand, the follow-up only token and limit
    first, second = register.calls("/activities")
    assert params(first) == [
        ("meta.modified.after", "2024-09-01T11:55:00Z"),
        ("expand", "syllabus"),
        ("limit", "2"),
    ]
    assert params(second) == [("pageToken", "p2"), ("limit", "2")]


def test_410_restart_reads_the_collection_again_from_page_one() -> None:
    # Given a register that answers the second page with 410 NEW_DATA_RESTART_FROM_FIRST_PAGE
    # once, and then serves the (changed) data from the start
    register = FakeRegister()
    gone = json_response(410, {"code": "NEW_DATA_RESTART_FROM_FIRST_PAGE", "message": "restart"})
    first_run = register.paged("/organisations", [[org(1), org(2)], [org(3)]])
    second_run = register.paged("/organisations", [[org(1), org(2)], [org(3), org(6)]])
    register.on("/organisations", first_run, lambda r: gone, second_run, second_run)
    source = make_source(register)

    # When the organisations are read
    items = list(source.read([Entity.ORGANISATION]))

    # Then page one was read twice (harmless: the pipeline stages by id), the rest once, and
    # the restart was reported and counted
    assert orgs_read(items) == [1, 2, 1, 2, 3, 6]
    issues = [i for i in items if isinstance(i, SourceIssue)]
    assert [(i.severity, i.location, i.details) for i in issues] == [
        ("warning", "GET /organisations page 2", {"restart": "1"})
    ]
    assert [params(c) for c in register.calls("/organisations")] == [
        [("limit", "2")],
        [("pageToken", "p2"), ("limit", "2")],
        [("limit", "2")],
        [("pageToken", "p2"), ("limit", "2")],
    ]
    assert source.stats.restarts == {"/organisations": 1}


def test_too_many_restarts_fail_clearly() -> None:
    # Given a register that always asks for a restart on the second page
    register = FakeRegister()
    gone = json_response(410, {"code": "NEW_DATA_RESTART_FROM_FIRST_PAGE", "message": "restart"})
    pages = register.paged("/organisations", [[org(1)], [org(2)]])

    def answer(request: httpx.Request) -> httpx.Response:
        return gone if request.url.params.get("pageToken") else pages(request)

    register.on("/organisations", answer)
    source = make_source(register, max_restarts=2)

    # When the organisations are read, then the run fails after the third restart request
    with pytest.raises(SourceError, match=r"GET /organisations: .* 3 times .* after 2 restarts"):
        list(source.read([Entity.ORGANISATION]))
    assert source.stats.restarts == {"/organisations": 3}


def test_410_without_the_restart_code_is_an_error() -> None:
    register = FakeRegister()
    register.on("/organisations", lambda r: json_response(410, {"code": "GONE", "message": "x"}))
    with pytest.raises(SourceError, match=r"GET /organisations page 1: HTTP 410 \(GONE\): x"):
        list(make_source(register).read([Entity.ORGANISATION]))


def test_a_repeated_page_token_fails_instead_of_looping() -> None:
    register = FakeRegister()
    register.on(
        "/organisations", lambda r: json_response(200, {"data": [org(1)], "pageToken": "same"})
    )
    with pytest.raises(SourceError, match="page 2: the server returned the same pageToken"):
        list(make_source(register).read([Entity.ORGANISATION]))


# -- retries -------------------------------------------------------------------------------


def test_429_is_retried_after_the_time_the_server_asks_for() -> None:
    # Given a register that throttles the first request for 7 seconds
    register = FakeRegister()
    throttled = json_response(
        429, {"code": "TOO_MANY", "message": "slow down"}, {"Retry-After": "7"}
    )
    register.on("/organisations", lambda r: throttled, register.paged("/organisations", [[org(1)]]))
    sleeps: list[float] = []
    source = make_source(register, sleeps=sleeps)

    # When the organisations are read
    items = list(source.read([Entity.ORGANISATION]))

    # Then the client slept exactly 7 seconds once and then got the page
    assert sleeps == [7.0]
    assert orgs_read(items) == [1]
    assert source.stats.retries == 1


def test_retry_after_as_http_date_is_honoured() -> None:
    register = FakeRegister()
    later = "Tue, 03 Sep 2024 06:00:30 GMT"  # 30 s after the injected clock
    throttled = json_response(503, {"code": "BUSY", "message": "x"}, {"Retry-After": later})
    register.on("/organisations", lambda r: throttled, register.paged("/organisations", [[org(1)]]))
    sleeps: list[float] = []
    list(make_source(register, sleeps=sleeps).read([Entity.ORGANISATION]))
    assert sleeps == [30.0]


def test_5xx_is_retried_with_exponential_backoff_and_then_fails_clearly() -> None:
    # Given a register that always answers 503 without Retry-After
    register = FakeRegister()
    register.on(
        "/persons", lambda r: json_response(503, {"code": "DOWN", "message": "maintenance"})
    )
    sleeps: list[float] = []
    source = make_source(register, sleeps=sleeps, max_attempts=4, backoff_base_seconds=2.0)

    # When persons are read, then the run fails naming the request, status and attempts
    with pytest.raises(
        SourceError, match=r"^GET /persons page 1: HTTP 503 \(DOWN\): maintenance after 4 attempts$"
    ):
        list(source.read([Entity.PERSON]))
    # ...after three backoffs of 2, 4, 8 s with "equal jitter" (rng fixed at 0.5: 3/4 of each)
    assert sleeps == [1.5, 3.0, 6.0]
    assert len(register.calls("/persons")) == 4


def test_network_errors_are_retried() -> None:
    # Given a connection that fails once
    register = FakeRegister()
    failures = [httpx.ConnectError("refused")]

    def flaky(request: httpx.Request) -> httpx.Response:
        if failures and request.url.path.endswith("/organisations"):
            raise failures.pop()
        return register(request)

    register.on("/organisations", register.paged("/organisations", [[org(1)]]))
    sleeps: list[float] = []
    source = Ss12000ApiSource(
        Ss12000ApiConfig(BASE, TOKEN_URL, "larspar-ale", "s3cret-value"),
        client=httpx.Client(transport=httpx.MockTransport(flaky)),
        sleep=sleeps.append,
        rng=lambda: 0.0,
    )

    # When read, then the organisation arrives after one backoff of half the base delay
    assert orgs_read(list(source.read([Entity.ORGANISATION]))) == [1]
    assert sleeps == [0.5]


# -- tokens --------------------------------------------------------------------------------


def test_client_credentials_are_posted_as_form_fields_with_the_scope() -> None:
    register = FakeRegister()
    list(make_source(register, scope="ss12000.read").read([Entity.ORGANISATION]))
    token_request = register.requests[0]
    assert token_request.method == "POST"
    assert dict(httpx.QueryParams(token_request.content.decode())) == {
        "grant_type": "client_credentials",
        "scope": "ss12000.read",
        "client_id": "larspar-ale",
        "client_secret": "s3cret-value",
    }
    assert register.calls("/organisations")[0].headers["Authorization"] == "Bearer token-1"


def test_basic_client_authentication_sends_the_credentials_in_the_header() -> None:
    register = FakeRegister()
    list(make_source(register, client_auth="basic").read([Entity.ORGANISATION]))
    token_request = register.requests[0]
    # base64("larspar-ale:s3cret-value")
    assert token_request.headers["Authorization"] == "Basic bGFyc3Bhci1hbGU6czNjcmV0LXZhbHVl"
    assert dict(httpx.QueryParams(token_request.content.decode())) == {
        "grant_type": "client_credentials"
    }


def test_a_401_fetches_a_new_token_once_and_retries() -> None:
    # Given a register that revokes the first token after issuing it
    register = FakeRegister()
    register.on("/organisations", register.paged("/organisations", [[org(1)], [org(2)]]))
    source = make_source(register)
    items = source.read([Entity.ORGANISATION])
    first = next(items)
    register.valid_tokens.clear()  # revoked between pages

    # When the rest is read
    rest = list(items)

    # Then the client fetched a second token and went on with the same page token
    assert orgs_read([first, *rest]) == [1, 2]
    assert register.tokens_issued == 2
    calls = register.calls("/organisations")
    assert [c.headers["Authorization"] for c in calls] == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert params(calls[2]) == [("pageToken", "p2"), ("limit", "2")]


def test_a_401_with_a_fresh_token_fails_clearly() -> None:
    register = FakeRegister()
    register.on("/organisations", lambda r: json_response(401, {"code": "NO", "message": "no"}))
    with pytest.raises(SourceError, match="HTTP 401 even with a fresh token; check the scope"):
        list(make_source(register).read([Entity.ORGANISATION]))
    assert register.tokens_issued == 2


def test_an_expired_token_is_refreshed_before_the_request() -> None:
    # Given tokens valid 600 s and a clock we move
    register = FakeRegister()
    register.expires_in = 600
    register.on("/organisations", register.paged("/organisations", [[org(1)], [org(2)]]))
    clock = [0.0]
    items = make_source(register, clock=clock).read([Entity.ORGANISATION])
    next(items)

    # When 590 s have passed (within the 60 s leeway of expiry)
    clock[0] = 590.0
    list(items)

    # Then the second page was fetched with a new token, without a 401 first
    assert register.tokens_issued == 2
    assert len(register.calls("/organisations")) == 2


def test_a_rejected_token_request_fails_without_the_secret_in_the_message() -> None:
    register = FakeRegister()
    register.token_handler = lambda r: json_response(
        400, {"error": "invalid_client", "error_description": "bad secret s3cret-value"}
    )
    with pytest.raises(SourceError) as raised:
        list(make_source(register).read([Entity.ORGANISATION]))
    assert str(raised.value) == (
        "token request: HTTP 400 (invalid_client); check the client id, secret and scope"
    )


def test_the_secret_is_not_in_the_config_repr() -> None:
    config = Ss12000ApiConfig(BASE, TOKEN_URL, "larspar-ale", "s3cret-value")
    assert "s3cret-value" not in repr(config)


# -- malformed pages -----------------------------------------------------------------------


def test_a_truncated_page_fails_naming_the_page() -> None:
    # Given a second page cut off mid-way
    register = FakeRegister()
    good = register.paged("/persons", [[{"id": str(uuid.UUID(int=1))}], []])
    truncated = httpx.Response(
        200, content=b'{"data": [{"id": "00000000-', headers={"Date": SERVER_DATE}
    )

    def answer(request: httpx.Request) -> httpx.Response:
        return truncated if request.url.params.get("pageToken") else good(request)

    register.on("/persons", answer)

    # When persons are read, then the run fails naming the request and page
    with pytest.raises(SourceError, match=r"^GET /persons page 2: malformed JSON \("):
        list(make_source(register).read([Entity.PERSON]))


def test_a_page_without_data_fails() -> None:
    register = FakeRegister()
    register.on("/groups", lambda r: json_response(200, {"items": []}))
    with pytest.raises(SourceError, match="GET /groups page 1: the page has no data array"):
        list(make_source(register).read([Entity.GROUP]))


def test_an_oversized_page_fails() -> None:
    register = FakeRegister()
    register.on("/organisations", register.paged("/organisations", [[org(1), org(2)]]))
    with pytest.raises(SourceError, match="page 1: response larger than 100 bytes"):
        list(make_source(register, max_page_bytes=100).read([Entity.ORGANISATION]))


# -- incremental sync ----------------------------------------------------------------------


def test_read_changes_asks_each_entity_for_its_changes_and_deletions() -> None:
    # Given a register with one changed person and deletions in both spellings
    register = FakeRegister()
    person = {"id": str(uuid.UUID(int=7)), "givenName": "Åsa", "familyName": "Öberg"}
    register.on("/persons", register.paged("/persons", [[person]]))
    deleted = {
        "data": {
            "persons": [str(uuid.UUID(int=8))],
            "activitites": [str(uuid.UUID(int=9))],  # the 2.1.0 spec's spelling
            "activities": [str(uuid.UUID(int=10))],
        },
        "pageToken": None,
    }
    register.on("/deletedEntities", lambda r: json_response(200, deleted))
    since = {e: dt.datetime(2024, 9, 2, 6, 0, tzinfo=dt.UTC) for e in Entity}

    # When changes since the checkpoints are read
    source = make_source(register)
    items = list(source.read_changes(since))

    # Then every entity type was asked with meta.modified.after (minus the overlap), and
    # deletions were asked per type and filtered to it (the fake ignores the filter)
    for path in ("/organisations", "/persons", "/groups", "/duties"):
        assert params(register.calls(path)[0]) == [
            ("meta.modified.after", "2024-09-02T05:55:00Z"),
            ("limit", "2"),
        ]
    deletion_calls = register.calls("/deletedEntities")
    assert [params(c) for c in deletion_calls] == [
        [("after", "2024-09-02T05:55:00Z"), ("entities", t), ("limit", "2")]
        for t in ("Organisation", "Person", "Group", "Duty", "Activity")
    ]
    deletions = [i for i in items if isinstance(i, DeletedRecord)]
    assert deletions == [
        DeletedRecord(Entity.PERSON, uuid.UUID(int=8)),
        DeletedRecord(Entity.ACTIVITY, uuid.UUID(int=10)),
        DeletedRecord(Entity.ACTIVITY, uuid.UUID(int=9)),
    ]
    # ...the changed person comes before its type's deletions
    person_index = next(i for i, x in enumerate(items) if getattr(x, "given_name", "") == "Åsa")
    assert person_index < items.index(deletions[0])
    # ...and the new checkpoints are the server's time of the first answers
    assert source.checkpoints == {e: SERVER_TIME for e in Entity}


def test_read_changes_reads_types_without_a_checkpoint_in_full() -> None:
    register = FakeRegister()
    source = make_source(register)
    list(source.read_changes({Entity.PERSON: dt.datetime(2024, 9, 2, tzinfo=dt.UTC)}))
    assert params(register.calls("/organisations")[0]) == [("limit", "2")]
    assert len(register.calls("/deletedEntities")) == 1  # persons only


def test_read_changes_refuses_a_checkpoint_without_time_zone() -> None:
    source = make_source(FakeRegister())
    with pytest.raises(ValueError, match="has no time zone"):
        source.read_changes({Entity.PERSON: dt.datetime(2024, 9, 2)})


def test_without_a_date_header_the_checkpoint_is_our_clock_at_the_request() -> None:
    register = FakeRegister()
    register.on(
        "/organisations",
        lambda r: httpx.Response(200, json={"data": [org(1)], "pageToken": None}),
    )
    source = make_source(register)
    list(source.read([Entity.ORGANISATION]))
    assert source.checkpoints[Entity.ORGANISATION] == SERVER_TIME  # the injected clock


# -- a real socket -------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:  # the token endpoint
        length = int(self.headers["Content-Length"])
        form = dict(httpx.QueryParams(self.rfile.read(length).decode()))
        if form.get("client_secret") == "s3cret-value":
            self._send(200, {"access_token": "live", "expires_in": 300})
        else:
            self._send(401, {"error": "invalid_client"})

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "Bearer live":
            self._send(401, {"code": "UNAUTHORIZED", "message": "no"})
        elif self.path.startswith("/v2/organisations"):
            self._send(200, {"data": [org(1, organisationType="Skola")], "pageToken": None})
        else:
            self._send(404, {"code": "NOT_FOUND", "message": self.path})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def live_register() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_reads_over_a_real_http_connection(live_register: str) -> None:
    # Given a register on a local socket
    config = Ss12000ApiConfig(
        base_url=f"{live_register}/v2",
        token_url=f"{live_register}/token",
        client_id="larspar-ale",
        client_secret="s3cret-value",
    )

    # When the organisations are read with the default HTTP client
    with Ss12000ApiSource(config) as source:
        items = list(source.read([Entity.ORGANISATION]))

    # Then the organisation came through, and the checkpoint is the server's Date
    assert [(i.display_name, i.organisation_type) for i in items] == [("Skolenhet 1", "Skola")]  # type: ignore[union-attr]
    assert source.checkpoints[Entity.ORGANISATION].tzinfo is not None

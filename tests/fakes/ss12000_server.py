"""A fake SS 12000:2020 (v2.1.0) server over real HTTP, serving a synthetic municipality.

    with running_fake_ss12000(municipality, page_size=50) as server:
        client = Client(base_url=server.base_url, token_url=server.token_url, ...)

What it does, per the spec (``shared/reference/ss12000/ss12000-v2.1.0-openapi.yaml``):

- ``POST {token_url}``: OAuth2 client credentials (RFC 6749 4.4), credentials in the form body or
  HTTP Basic; answers ``access_token``, ``token_type`` "Bearer", ``expires_in``. Wrong
  credentials: 401 ``{"error": "invalid_client"}``; another grant: 400.
- ``GET /organisations``, ``/persons``, ``/groups``, ``/duties``, ``/activities``,
  ``/syllabuses`` and ``/{endpoint}/{id}``: Bearer token required (401 with the spec's Error
  body otherwise). Paging: ``limit`` (capped at the server's ``page_size``, also the default) and
  an opaque ``pageToken``; a follow-up carrying ``pageToken`` with anything but ``limit`` gets
  400 (the token remembers the filters). Filters: ``meta.created.before/after``,
  ``meta.modified.before/after`` (after exclusive, before inclusive), ``expand`` as the spec
  lists per endpoint (persons: duties, responsibleFor, groupMemberships, placements,
  ownedPlacements; groups: assignmentRoles; duties: person; activities: groups, teachers,
  syllabus), ``expandReferenceNames`` (accepted, ignored). Any other parameter: 400
  ``UNSUPPORTED_PARAMETER``, so a client relying on something the fake lacks fails loudly.
- ``GET /deletedEntities?after=...&entities=Person``: ids deleted after the time (from the
  municipality's deletion log), paged like the rest, keys as in the spec (``activitites``).
- Activities of Edlevo-style schools get an embedded syllabus without ``subjectCode``
  (see ``integrations.synthetic.ss12000_json``).

Not in the v2.1.0 spec but seen in real servers (and handled by our client): HTTP 410
``{"code": "NEW_DATA_RESTART_FROM_FIRST_PAGE"}`` when the data changed under a paging client.
Here it happens only on request: ``expire_page_tokens()`` (or ``set_municipality(...,
expire_page_tokens=True)``) invalidates every token issued so far. Without it, tokens survive a
data swap and keep their offset (as some servers do: rows can be skipped or repeated).

The ``Date`` header is the served data's time (``municipality.now``; ``clock=`` overrides it),
so a client's checkpoint taken from it lines up with the synthetic ``meta.modified`` values.

Fault injection: ``fail_next(status, times, retry_after=..., endpoint=...)``,
``expire_page_tokens(after_pages=n)`` (a 410 in the middle of a collection),
``truncate_next_response()`` (a 200 with half a JSON body), ``delay_next(seconds)``,
``expire_access_tokens()`` (next API call 401). Every request is logged in ``requests``.

Standard library only; everything is held in memory (fine for test-sized municipalities).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from integrations.records import Entity
from integrations.synthetic.generator import SyntheticMunicipality
from integrations.synthetic.ss12000_json import (
    DELETED_KEYS,
    ENDPOINTS,
    format_datetime,
    iter_entity_json,
    syllabus_json,
)

JsonObject = dict[str, Any]

API_PREFIX = "/ss12000/v2.0"
TOKEN_PATH = "/oauth2/token"
RESTART_CODE = "NEW_DATA_RESTART_FROM_FIRST_PAGE"
DEFAULT_CLIENT_ID = "larspar-test"
DEFAULT_CLIENT_SECRET = "synthetic-secret"
COLLECTIONS = ("organisations", "persons", "groups", "duties", "activities", "syllabuses")
EXPANDS: dict[str, frozenset[str]] = {
    "organisations": frozenset(),
    "persons": frozenset(
        {"duties", "responsibleFor", "placements", "ownedPlacements", "groupMemberships"}
    ),
    "groups": frozenset({"assignmentRoles"}),
    "duties": frozenset({"person"}),
    "activities": frozenset({"groups", "teachers", "syllabus"}),
    "syllabuses": frozenset(),
}
COMMON_PARAMETERS = frozenset(
    {
        "limit",
        "pageToken",
        "meta.created.before",
        "meta.created.after",
        "meta.modified.before",
        "meta.modified.after",
        "expand",
        "expandReferenceNames",
    }
)
DELETED_PARAMETERS = frozenset({"after", "entities", "limit", "pageToken"})
OBJECT_TYPES: dict[str, Entity] = {
    "Organisation": Entity.ORGANISATION,
    "Person": Entity.PERSON,
    "Group": Entity.GROUP,
    "Duty": Entity.DUTY,
    "Activity": Entity.ACTIVITY,
}
OTHER_OBJECT_TYPES = frozenset(
    {
        "Absence",
        "AttendanceEvent",
        "Attendance",
        "Grade",
        "CalendarEvent",
        "AttendanceSchedule",
        "Resource",
        "Room",
        "Placement",
        "StudyPlan",
        "Programme",
        "Syllabus",
        "SchoolUnitOffering",
    }
)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str  # relative to the API prefix for API calls, the full path otherwise
    query: tuple[tuple[str, str], ...]
    status: int
    authorized: bool

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.query)


@dataclass(slots=True)
class _Fault:
    status: int
    remaining: int
    retry_after: str | None
    endpoint: str | None


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(slots=True)
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str]


def _parse_time(raw: str, name: str) -> dt.datetime:
    text = raw.strip().replace(" ", "+")  # a raw "+" in a query string arrives as a space
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _ApiError(400, "INVALID_PARAMETER", f"{name}: not an RFC 3339 timestamp") from None
    if value.tzinfo is None:
        raise _ApiError(400, "INVALID_PARAMETER", f"{name}: the timestamp needs a time zone")
    return value


class _Dataset:
    """The municipality as served: JSON objects per collection plus expansion indexes."""

    def __init__(self, municipality: SyntheticMunicipality) -> None:
        self.items: dict[str, list[JsonObject]] = {}
        self.times: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
        self.by_id: dict[str, dict[str, JsonObject]] = {}
        for entity, endpoint in ENDPOINTS.items():
            self._add(endpoint, list(iter_entity_json(municipality, entity)))
        syllabus_created = municipality.generated_at - dt.timedelta(days=365)
        self.syllabus_edlevo: dict[str, JsonObject] = {}
        syllabuses = []
        for syllabus in municipality.syllabuses():
            created = syllabus_created
            syllabuses.append(syllabus_json(syllabus, created=created, modified=created))
            self.syllabus_edlevo[str(syllabus.source_id)] = syllabus_json(
                syllabus, created=created, modified=created, edlevo=True
            )
        self._add("syllabuses", syllabuses)
        edlevo_hosts = {str(i) for i in municipality.edlevo_style_organisation_ids}
        self.edlevo_activities = {
            a["id"] for a in self.items["activities"] if a["organisation"]["id"] in edlevo_hosts
        }
        self.responsible_for: dict[str, list[JsonObject]] = defaultdict(list)
        self.memberships_of: dict[str, list[JsonObject]] = defaultdict(list)
        self.duties_of: dict[str, list[JsonObject]] = defaultdict(list)
        self.roles_of_group: dict[str, list[JsonObject]] = defaultdict(list)
        for person in self.items["persons"]:
            for responsible in person["responsibles"]:
                self.responsible_for[responsible["person"]["id"]].append(
                    {"person": {"id": person["id"]}, "relationType": responsible["relationType"]}
                )
        for group in self.items["groups"]:
            fragment = {k: v for k, v in group.items() if k != "groupMemberships"}
            for membership in group["groupMemberships"]:
                entry = {"group": fragment}
                entry.update({k: v for k, v in membership.items() if k != "person"})
                self.memberships_of[membership["person"]["id"]].append(entry)
        for duty in self.items["duties"]:
            self.duties_of[duty["person"]["id"]].append(duty)
            for role in duty["assignmentRole"]:
                entry = {"duty": {"id": duty["id"]}}
                entry.update({k: v for k, v in role.items() if k != "group"})
                self.roles_of_group[role["group"]["id"]].append(entry)
        self.deletions: list[tuple[dt.datetime, Entity, str]] = [
            (deletion.at, deletion.record.entity, str(deletion.record.source_id))
            for deletion in municipality.deletions
        ]

    def _add(self, endpoint: str, items: list[JsonObject]) -> None:
        self.items[endpoint] = items
        self.times[endpoint] = [
            (
                dt.datetime.fromisoformat(item["meta"]["created"]),
                dt.datetime.fromisoformat(item["meta"]["modified"]),
            )
            for item in items
        ]
        self.by_id[endpoint] = {item["id"]: item for item in items}

    def expanded(self, endpoint: str, item: JsonObject, expand: frozenset[str]) -> JsonObject:
        if not expand:
            return item
        embedded: JsonObject = {}
        item_id = item["id"]
        if endpoint == "persons":
            if "responsibleFor" in expand:
                embedded["responsibleFor"] = self.responsible_for.get(item_id, [])
            if "duties" in expand:
                embedded["duties"] = self.duties_of.get(item_id, [])
            if "groupMemberships" in expand:
                embedded["groupMemberships"] = self.memberships_of.get(item_id, [])
            for name in ("placements", "ownedPlacements"):
                if name in expand:
                    embedded[name] = []
        elif endpoint == "groups":
            embedded["assignmentRoles"] = self.roles_of_group.get(item_id, [])
        elif endpoint == "duties":
            person = self.by_id["persons"].get(item["person"]["id"])
            if person is not None:
                embedded["person"] = person
        elif endpoint == "activities":
            if "groups" in expand:
                groups = self.by_id["groups"]
                embedded["groups"] = [groups[g["id"]] for g in item["groups"] if g["id"] in groups]
            if "teachers" in expand:
                duties = self.by_id["duties"]
                embedded["teachers"] = [
                    duties[t["duty"]["id"]] for t in item["teachers"] if t["duty"]["id"] in duties
                ]
            if "syllabus" in expand and "syllabus" in item:
                syllabus_id = item["syllabus"]["id"]
                if item_id in self.edlevo_activities:
                    embedded["syllabus"] = self.syllabus_edlevo[syllabus_id]
                else:
                    embedded["syllabus"] = self.by_id["syllabuses"][syllabus_id]
        return {**item, "_embedded": embedded}


class FakeSS12000Server:
    """See the module docstring. Start with ``running_fake_ss12000``."""

    def __init__(
        self,
        municipality: SyntheticMunicipality,
        *,
        page_size: int = 100,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token: str | None = None,
        token_lifetime: int = 3600,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.page_size = page_size
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._dataset = _Dataset(municipality)
        self._data_now = municipality.now
        self._clock = clock
        self._generation = 0
        self._expire_after = 0  # pages to serve before the tokens expire (0 = not pending)
        self._tokens: set[str] = {token} if token else set()
        self._faults: list[_Fault] = []
        self._truncate = 0
        self._delays: list[float] = []
        self._log: list[LoggedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-ss12000")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.origin + TOKEN_PATH

    # --- observation -------------------------------------------------------------------------
    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def api_requests(self, path: str | None = None) -> list[LoggedRequest]:
        """Logged API calls (not token requests), optionally only those to ``path``."""
        return [
            r for r in self.requests if r.path != TOKEN_PATH and (path is None or r.path == path)
        ]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # --- knobs -------------------------------------------------------------------------------
    def set_municipality(
        self, municipality: SyntheticMunicipality, *, expire_page_tokens: bool = False
    ) -> None:
        dataset = _Dataset(municipality)
        with self._lock:
            self._dataset = dataset
            self._data_now = municipality.now
            if expire_page_tokens:
                self._generation += 1

    def expire_page_tokens(self, *, after_pages: int = 0) -> None:
        """Every pageToken issued so far answers 410 NEW_DATA_RESTART_FROM_FIRST_PAGE; with
        ``after_pages``, only once that many more pages have been served (so a client that
        pages without pause meets the 410 in the middle of a collection)."""
        with self._lock:
            if after_pages <= 0:
                self._generation += 1
            else:
                self._expire_after = after_pages

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is refused (401) from now on."""
        with self._lock:
            self._tokens.clear()

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: float | str | None = None,
        endpoint: str | None = None,
    ) -> None:
        """The next ``times`` matching requests answer ``status`` with an Error body.
        ``endpoint``: None = any API request, "/persons" = requests to that path (prefix),
        "token" = the token endpoint."""
        with self._lock:
            self._faults.append(
                _Fault(status, times, None if retry_after is None else str(retry_after), endpoint)
            )

    def truncate_next_response(self, times: int = 1) -> None:
        """The next ``times`` successful API responses carry only half their JSON body."""
        with self._lock:
            self._truncate += times

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """The next ``times`` requests wait ``seconds`` before answering."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def now(self) -> dt.datetime:
        """The server's clock (its ``Date`` header): by default the served data's time
        (``municipality.now``), so that checkpoints taken from it match the data's timestamps."""
        if self._clock is not None:
            return self._clock()
        with self._lock:
            return self._data_now

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return token

    # --- request handling ----------------------------------------------------------------------
    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint is None:
                    matches = path != TOKEN_PATH
                elif fault.endpoint == "token":
                    matches = path == TOKEN_PATH
                else:
                    matches = path.startswith(fault.endpoint)
                if matches:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _take_delay(self) -> float:
        with self._lock:
            return self._delays.pop(0) if self._delays else 0.0

    def _take_truncation(self) -> bool:
        with self._lock:
            if self._truncate > 0:
                self._truncate -= 1
                return True
            return False

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[str, _Reply, bool]:
        """Returns (logged path, reply, authorized)."""
        split = urlsplit(raw_path)
        path = split.path
        query = parse_qsl(split.query, keep_blank_values=True)
        if path.startswith(API_PREFIX + "/") or path == API_PREFIX:
            path = path[len(API_PREFIX) :] or "/"
        elif path != TOKEN_PATH:
            return path, _error(404, "NOT_FOUND", "no such path"), False
        delay = self._take_delay()
        if delay:
            time.sleep(delay)
        fault = self._take_fault(path)
        if fault is not None:
            reply = _error(fault.status, _status_code_name(fault.status), "injected failure")
            if fault.retry_after is not None:
                reply.headers["Retry-After"] = fault.retry_after
            return path, reply, False
        if path == TOKEN_PATH:
            if method != "POST":
                return path, _error(405, "METHOD_NOT_ALLOWED", "use POST"), False
            return path, self._token(headers, body), False
        token = headers.get("authorization", "")
        scheme, _, value = token.partition(" ")
        with self._lock:
            authorized = scheme.lower() == "bearer" and value.strip() in self._tokens
        if not authorized:
            reply = _error(401, "UNAUTHORIZED", "a valid Bearer token is required")
            reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return path, reply, False
        if method != "GET":
            return path, _error(405, "METHOD_NOT_ALLOWED", "only GET is served"), True
        try:
            payload = self._get(path, query)
        except _ApiError as error:
            return path, _error(error.status, error.code, error.message), True
        with self._lock:
            if self._expire_after > 0 and "pageToken" in payload:
                self._expire_after -= 1
                if self._expire_after == 0:
                    self._generation += 1
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if self._take_truncation():
            data = data[: len(data) // 2]
        return path, _Reply(200, data, {"Content-Type": "application/json; charset=utf-8"}), True

    def _token(self, headers: dict[str, str], body: bytes) -> _Reply:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                pair = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                pair = ""
            user, _, password = pair.partition(":")
            client_id, client_secret = unquote_plus(user), unquote_plus(password)
        if client_id != self.client_id or client_secret != self.client_secret:
            return _json_reply(401, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return _json_reply(400, {"error": "unsupported_grant_type"})
        token = self.issue_token()
        reply = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        return _json_reply(200, reply, {"Cache-Control": "no-store"})

    def _get(self, path: str, query: list[tuple[str, str]]) -> JsonObject:
        parts = [part for part in path.split("/") if part]
        with self._lock:
            dataset = self._dataset
            generation = self._generation
        if parts == ["deletedEntities"]:
            return self._deleted(dataset, generation, query)
        if not parts or parts[0] not in COLLECTIONS or len(parts) > 2:
            raise _ApiError(404, "NOT_FOUND", "no such endpoint")
        endpoint = parts[0]
        if len(parts) == 2:
            expand = self._expand(endpoint, query, allowed_other=frozenset())
            item = dataset.by_id[endpoint].get(parts[1])
            if item is None:
                raise _ApiError(404, "NOT_FOUND", "no such id")
            return dataset.expanded(endpoint, item, expand)
        params, offset, limit = self._paging(endpoint, query, generation, COMMON_PARAMETERS)
        expand = self._expand(endpoint, params, allowed_other=COMMON_PARAMETERS)
        checks = _time_filters(params)
        items = dataset.items[endpoint]
        times = dataset.times[endpoint]
        selected = [
            item
            for item, (created, modified) in zip(items, times, strict=True)
            if all(check(created, modified) for check in checks)
        ]
        page = selected[offset : offset + limit]
        return {
            "data": [dataset.expanded(endpoint, item, expand) for item in page],
            "pageToken": self._next_token(
                endpoint, params, offset + limit, len(selected), generation
            ),
        }

    def _deleted(
        self, dataset: _Dataset, generation: int, query: list[tuple[str, str]]
    ) -> JsonObject:
        params, offset, limit = self._paging(
            "deletedEntities", query, generation, DELETED_PARAMETERS
        )
        after: dt.datetime | None = None
        wanted: set[Entity] | None = None
        for key, value in params:
            if key == "after":
                after = _parse_time(value, key)
            elif key == "entities":
                wanted = wanted or set()
                for name in filter(None, value.split(",")):
                    if name in OBJECT_TYPES:
                        wanted.add(OBJECT_TYPES[name])
                    elif name not in OTHER_OBJECT_TYPES:
                        raise _ApiError(400, "INVALID_PARAMETER", f"entities: unknown {name!r}")
        selected = [
            (entity, source_id)
            for at, entity, source_id in dataset.deletions
            if (after is None or at > after) and (wanted is None or entity in wanted)
        ]
        data: JsonObject = {key: [] for key in DELETED_KEYS.values()}
        for entity, source_id in selected[offset : offset + limit]:
            data[DELETED_KEYS[entity]].append(source_id)
        return {
            "data": data,
            "pageToken": self._next_token(
                "deletedEntities", params, offset + limit, len(selected), generation
            ),
        }

    def _paging(
        self,
        endpoint: str,
        query: list[tuple[str, str]],
        generation: int,
        allowed: frozenset[str],
    ) -> tuple[list[tuple[str, str]], int, int]:
        """(filter parameters, offset, limit) of a first page or a follow-up."""
        unknown = sorted({key for key, _ in query} - allowed)
        if unknown:
            raise _ApiError(400, "UNSUPPORTED_PARAMETER", f"not supported: {', '.join(unknown)}")
        limits = [value for key, value in query if key == "limit"]
        limit = self.page_size
        if limits:
            try:
                limit = int(limits[-1])
            except ValueError:
                limit = 0
            if limit < 1:
                raise _ApiError(400, "INVALID_PARAMETER", "limit must be a positive integer")
            limit = min(limit, self.page_size)
        tokens = [value for key, value in query if key == "pageToken"]
        if not tokens:
            return [(k, v) for k, v in query if k != "limit"], 0, limit
        others = sorted({key for key, _ in query} - {"pageToken", "limit"})
        if others or len(tokens) > 1:
            raise _ApiError(
                400,
                "INVALID_FILTER_COMBINATION",
                "pageToken cannot be combined with other parameters than limit: "
                + ", ".join(others or ["pageToken"]),
            )
        state = _decode_token(tokens[0])
        if state is None or state.get("e") != endpoint:
            raise _ApiError(400, "INVALID_PAGE_TOKEN", "pageToken not recognised")
        if state.get("g") != generation:
            raise _ApiError(410, RESTART_CODE, "the data changed; restart from the first page")
        params = [(str(k), str(v)) for k, v in state.get("q", [])]
        return params, int(state.get("o", 0)), limit

    def _next_token(
        self,
        endpoint: str,
        params: list[tuple[str, str]],
        next_offset: int,
        total: int,
        generation: int,
    ) -> str | None:
        if next_offset >= total:
            return None
        state = {"e": endpoint, "o": next_offset, "q": params, "g": generation}
        raw = json.dumps(state, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @staticmethod
    def _expand(
        endpoint: str, params: list[tuple[str, str]], *, allowed_other: frozenset[str]
    ) -> frozenset[str]:
        values: set[str] = set()
        for key, value in params:
            if key == "expand":
                values.update(filter(None, (v.strip() for v in value.split(","))))
            elif key != "expandReferenceNames" and key not in allowed_other:
                raise _ApiError(400, "UNSUPPORTED_PARAMETER", f"not supported: {key}")
        unknown = sorted(values - EXPANDS[endpoint])
        if unknown:
            raise _ApiError(400, "INVALID_PARAMETER", f"expand: unknown {', '.join(unknown)}")
        return frozenset(values)


def _time_filters(
    params: list[tuple[str, str]],
) -> list[Any]:
    checks: list[Any] = []
    for key, value in params:
        if not key.startswith("meta."):
            continue
        bound = _parse_time(value, key)
        if key == "meta.created.after":
            checks.append(lambda created, modified, b=bound: created > b)
        elif key == "meta.created.before":
            checks.append(lambda created, modified, b=bound: created <= b)
        elif key == "meta.modified.after":
            checks.append(lambda created, modified, b=bound: modified > b)
        elif key == "meta.modified.before":
            checks.append(lambda created, modified, b=bound: modified <= b)
    return checks


def _decode_token(token: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
    except (ValueError, binascii.Error):
        return None
    return state if isinstance(state, dict) else None


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Reply:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return _Reply(
        status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


def _error(status: int, code: str, message: str) -> _Reply:
    """The spec's Error schema: ``{"code", "message"}``."""
    return _json_reply(status, {"code": code, "message": message})


def _status_code_name(status: int) -> str:
    return {
        400: "BAD_REQUEST",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        410: RESTART_CODE,
        429: "TOO_MANY_REQUESTS",
        500: "INTERNAL_ERROR",
        502: "BAD_GATEWAY",
        503: "SERVICE_UNAVAILABLE",
        504: "GATEWAY_TIMEOUT",
    }.get(status, f"HTTP_{status}")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSS12000Server
    protocol_version = "HTTP/1.1"
    server_version = "FakeSS12000/2.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        path, reply, authorized = self.fake.handle(self.command, self.path, headers, body)
        split = urlsplit(self.path)
        entry = LoggedRequest(
            self.command,
            path,
            tuple(parse_qsl(split.query, keep_blank_values=True)),
            reply.status,
            authorized,
        )
        with self.fake._lock:
            self.fake._log.append(entry)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve
    do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return

    def date_time_string(self, timestamp: float | None = None) -> str:
        if timestamp is not None:
            return super().date_time_string(timestamp)
        return formatdate(self.fake.now().timestamp(), usegmt=True)


@contextmanager
def running_fake_ss12000(
    municipality: SyntheticMunicipality,
    *,
    page_size: int = 100,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    token: str | None = None,
    token_lifetime: int = 3600,
    clock: Callable[[], dt.datetime] | None = None,
) -> Iterator[FakeSS12000Server]:
    """A started server on 127.0.0.1 (a free port), stopped on exit. ``token``: an access
    token accepted from the start (skip the token request in tests that do not need it)."""
    server = FakeSS12000Server(
        municipality,
        page_size=page_size,
        client_id=client_id,
        client_secret=client_secret,
        token=token,
        token_lifetime=token_lifetime,
        clock=clock,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


FakeServer = FakeSS12000Server

__all__ = [
    "API_PREFIX",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "RESTART_CODE",
    "TOKEN_PATH",
    "FakeSS12000Server",
    "FakeServer",
    "LoggedRequest",
    "format_datetime",
    "running_fake_ss12000",
]

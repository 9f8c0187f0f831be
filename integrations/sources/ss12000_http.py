"""HTTP for the SS 12000 API client: OAuth2 client-credentials tokens, retries, size limits.

Kept apart from the paging logic so that both can be read (and tested) on their own. Every
request goes through ``_exchange``: 429, 5xx and network errors are retried with exponential
backoff and jitter, honouring ``Retry-After``; a 401 from the API invalidates the token and is
retried once with a fresh one. Nothing here logs or raises with the client secret, the token or
the response body of a successful page.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote_plus

import httpx

from integrations.sources.errors import SourceError

RESTART_CODE = "NEW_DATA_RESTART_FROM_FIRST_PAGE"


@dataclass(frozen=True, slots=True)
class Ss12000ApiConfig:
    """One tenant's connection to its register. ``base_url`` ends where the SS 12000 paths
    begin, e.g. ``https://education.service.tieto.com/WE.Education.IntegrationPortal.ExternalApi/api/v1``
    for Edlevo."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = ""
    # "body": client_id/client_secret as form fields (Edlevo); "basic": HTTP Basic (RFC 6749
    # 2.3.1's recommended way, which some identity servers require).
    client_auth: Literal["body", "basic"] = "body"
    page_size: int = 500
    timeout_seconds: float = 60.0
    max_attempts: int = 6  # per request, first try included
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    max_retry_after_seconds: float = 600.0
    max_restarts: int = 3  # per collection, for 410 NEW_DATA_RESTART_FROM_FIRST_PAGE
    max_page_bytes: int = 64 * 1024 * 1024
    token_leeway_seconds: float = 60.0  # refresh this long before the token expires
    # Incremental reads ask for changes since (checkpoint - overlap); see ss12000_api.
    change_overlap: dt.timedelta = dt.timedelta(minutes=5)
    expand_activity_syllabus: bool = True

    def __post_init__(self) -> None:
        if self.page_size < 1 or self.max_attempts < 1 or self.max_restarts < 0:
            raise ValueError("page_size and max_attempts must be >= 1, max_restarts >= 0")


class RestartFromFirstPage(Exception):
    """The server answered 410 NEW_DATA_RESTART_FROM_FIRST_PAGE to a follow-up page."""


@dataclass(slots=True)
class HttpStats:
    retries: int = 0
    token_requests: int = 0


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: httpx.Headers
    body: bytes


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _error_code(body: bytes, key: str = "code") -> str:
    """The ``code`` of an SS 12000 Error body (``error`` for OAuth), or ""."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    value = payload.get(key) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else ""


def _describe(reply: _Reply) -> str:
    try:
        payload = json.loads(reply.body)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("code"), str):
        message = str(payload.get("message", ""))[:200]
        return f"HTTP {reply.status} ({payload['code']}): {message}"
    return f"HTTP {reply.status}"


class Ss12000Http:
    def __init__(
        self,
        config: Ss12000ApiConfig,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=config.timeout_seconds)
        self._sleep = sleep
        self._now = now
        self._monotonic = monotonic
        self._rng = rng
        self._token: str | None = None
        self._token_expires: float | None = None
        self.stats = HttpStats()

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    # -- tokens -----------------------------------------------------------------------------

    def _authorization(self) -> str:
        expired = self._token_expires is not None and self._monotonic() >= self._token_expires
        if self._token is None or expired:
            self._fetch_token()
        return f"Bearer {self._token}"

    def invalidate_token(self) -> None:
        self._token = None

    def _fetch_token(self) -> None:
        cfg = self.config
        form = {"grant_type": "client_credentials"}
        if cfg.scope:
            form["scope"] = cfg.scope
        headers = {"Accept": "application/json"}
        if cfg.client_auth == "basic":
            # RFC 6749 2.3.1: both parts form-urlencoded before base64
            pair = f"{quote_plus(cfg.client_id)}:{quote_plus(cfg.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form |= {"client_id": cfg.client_id, "client_secret": cfg.client_secret}

        def request() -> httpx.Request:
            return self._client.build_request("POST", cfg.token_url, data=form, headers=headers)

        self.stats.token_requests += 1
        reply = self._exchange(request, "token request")
        if reply.status != 200:
            code = _error_code(reply.body, "error")
            raise SourceError(
                f"token request: HTTP {reply.status}{f' ({code})' if code else ''}; "
                "check the client id, secret and scope"
            )
        try:
            payload = json.loads(reply.body)
        except ValueError as exc:
            raise SourceError("token request: the response is not JSON") from exc
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError("token request: the response has no access_token")
        expires_in = payload.get("expires_in")
        if isinstance(expires_in, str) and expires_in.isdigit():
            expires_in = int(expires_in)  # some identity servers send it as a string
        self._token = token
        self._token_expires = None  # unknown lifetime: refreshed only after a 401
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            leeway = min(cfg.token_leeway_seconds, expires_in / 2)
            self._token_expires = self._monotonic() + expires_in - leeway

    # -- requests ---------------------------------------------------------------------------

    def get_json(
        self, path: str, params: Sequence[tuple[str, str]], *, what: str
    ) -> tuple[Any, dt.datetime]:
        """GET base_url + path; returns the parsed JSON and the server's time of the answer
        (its ``Date`` header; our clock when it has none)."""
        url = self.config.base_url.rstrip("/") + path
        refreshed = False
        while True:
            started = self._now()

            def request() -> httpx.Request:
                headers = {"Authorization": self._authorization(), "Accept": "application/json"}
                return self._client.build_request("GET", url, params=list(params), headers=headers)

            reply = self._exchange(request, what)
            if reply.status == 401 and not refreshed:
                refreshed = True  # the token may have been revoked or expired early: once
                self.invalidate_token()
                continue
            if reply.status == 410 and _error_code(reply.body) == RESTART_CODE:
                raise RestartFromFirstPage
            if reply.status == 401:
                raise SourceError(f"{what}: HTTP 401 even with a fresh token; check the scope")
            if reply.status != 200:
                raise SourceError(f"{what}: {_describe(reply)}")
            try:
                data = json.loads(reply.body)
            except json.JSONDecodeError as exc:
                raise SourceError(
                    f"{what}: malformed JSON ({exc.msg}; line {exc.lineno}, column {exc.colno})"
                ) from exc
            except ValueError as exc:  # undecodable bytes
                raise SourceError(f"{what}: response is not UTF-8 JSON") from exc
            return data, self._server_time(reply) or started

    def _server_time(self, reply: _Reply) -> dt.datetime | None:
        value = reply.headers.get("Date")
        if not value:
            return None
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    def _once(self, request: httpx.Request, what: str) -> _Reply:
        response = self._client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.config.max_page_bytes:
                    raise SourceError(
                        f"{what}: response larger than {self.config.max_page_bytes} bytes; "
                        "lower page_size"
                    )
                chunks.append(chunk)
        finally:
            response.close()
        return _Reply(response.status_code, response.headers, b"".join(chunks))

    def _exchange(self, request: Callable[[], httpx.Request], what: str) -> _Reply:
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = self._once(request(), what)
            except httpx.TransportError as exc:
                if attempt >= self.config.max_attempts:
                    raise SourceError(
                        f"{what}: network error ({type(exc).__name__}) after {attempt} attempts"
                    ) from exc
                self._pause(self._backoff(attempt))
                continue
            if reply.status != 429 and reply.status < 500:
                return reply
            if attempt >= self.config.max_attempts:
                raise SourceError(f"{what}: {_describe(reply)} after {attempt} attempts")
            delay = self._retry_after(reply)
            self._pause(self._backoff(attempt) if delay is None else delay)

    def _pause(self, seconds: float) -> None:
        self.stats.retries += 1
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        cfg = self.config
        ceiling = min(cfg.backoff_max_seconds, cfg.backoff_base_seconds * 2 ** (attempt - 1))
        # "Equal jitter": at least half the ceiling, so retries never bunch up at zero.
        return ceiling / 2 + self._rng() * ceiling / 2

    def _retry_after(self, reply: _Reply) -> float | None:
        value = reply.headers.get("Retry-After", "").strip()
        if not value:
            return None
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            seconds = (when - self._now()).total_seconds()
        return min(max(seconds, 0.0), self.config.max_retry_after_seconds)

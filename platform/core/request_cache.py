"""A per-request memo for values read several times while serving one request (the
municipality's settings, for example). Outside a request nothing is cached."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_memo: ContextVar[dict[str, Any] | None] = ContextVar("request_memo", default=None)


def start() -> Any:
    return _memo.set({})


def end(token: Any) -> None:
    _memo.reset(token)


def memoised(key: str, compute: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    value: T = memo[key]
    return value


def forget(key: str) -> None:
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds the request id and the current schema to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        try:
            from django.db import connection

            record.schema = getattr(connection, "schema_name", "-")
        except Exception:  # logging must never fail, not even before Django is set up
            record.schema = "-"
        return True

"""The access app's models: only the read log (the access policy itself has no tables)."""

from access.readlog.models import AccessLogEntry, AccessLogPurge

__all__ = ["AccessLogEntry", "AccessLogPurge"]

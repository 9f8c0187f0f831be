"""The read log: who read which pupil's data, when, from where, and by which relation.

Append-only and hash-chained per municipality in the database itself (see docs/read-log.md).
Write with ``services.access_log_record``; review with ``selectors`` and the admin API in ``api``.
"""

"""The one exception every source raises when a run cannot continue."""

from __future__ import annotations


class SourceError(Exception):
    """The input cannot be read as a whole: a network or authentication failure after the
    retries, a malformed page or file, a missing required column. The message names the URL,
    page or file:line, never a civic number or other personal data, so it can be logged and
    shown to the municipality's administrators as is."""

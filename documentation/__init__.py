"""Pedagogical documentation: one Django app per document kind (see docs/documentation.md)."""

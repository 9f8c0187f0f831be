"""integrations: filled by its own issue (see docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from documentation.talks.models import DocumentVersion


def version_snapshot(*, kind: str, document: Any, snapshot: dict[str, Any], author: User) -> int:
    """Appends the next immutable version of a published document; returns its number."""
    document.current_version += 1
    document.save(update_fields=["current_version"])
    DocumentVersion.objects.create(
        kind=kind,
        document_id=document.pk,
        version=document.current_version,
        snapshot=snapshot,
        author=author,
    )
    return int(document.current_version)

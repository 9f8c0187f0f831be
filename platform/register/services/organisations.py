from __future__ import annotations

from django.db import transaction

from register.models import Organisation


@transaction.atomic
def organisation_refresh_lineage(*, organisation: Organisation) -> None:
    """Recomputes ``lineage`` (own id + ancestors) for an organisation and its descendants.

    Imports call it once per changed subtree; it runs one UPDATE per level of the tree.
    """
    parent_lineage = organisation.parent.lineage if organisation.parent is not None else []
    organisation.lineage = [*parent_lineage, organisation.pk]
    Organisation.objects.filter(pk=organisation.pk).update(lineage=organisation.lineage)
    for child in Organisation.objects.filter(parent=organisation):
        organisation_refresh_lineage(organisation=child)

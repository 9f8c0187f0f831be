"""Synthetic municipalities for tests, demos and import benchmarks: a seeded generator of
register records (``generator``), day-to-day changes (``delta``), SS 12000 JSON pages and file
bundles (``ss12000_json``) and the CSV export format (``csv_writer``). No real person's data is
used; see ``generator`` for what that means for civic numbers."""

from integrations.synthetic.csv_writer import write_csv_export
from integrations.synthetic.delta import DeltaResult, apply_delta
from integrations.synthetic.generator import (
    Annotated,
    Deletion,
    SyntheticMunicipality,
    generate_municipality,
)
from integrations.synthetic.ss12000_json import write_file_bundle

__all__ = [
    "Annotated",
    "Deletion",
    "DeltaResult",
    "SyntheticMunicipality",
    "apply_delta",
    "generate_municipality",
    "write_csv_export",
    "write_file_bundle",
]

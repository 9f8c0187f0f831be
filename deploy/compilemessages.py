"""Compile gettext catalogues (.po -> .mo) in pure Python, so set-up needs no GNU gettext."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

REPO_ROOT = Path(__file__).resolve().parents[1]
SEARCH_ROOTS = ("platform", "tenants", "documentation", "integrations", "worker")


def main() -> int:
    compiled = 0
    for root in SEARCH_ROOTS:
        for po_path in (REPO_ROOT / root).rglob("locale/*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled += 1
    print(f"compiled {compiled} message catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

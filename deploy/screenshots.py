"""`make screenshots`: refreshes docs/screenshots/ with a picture of every page, per role.

    python -m deploy.devservices run --profile screenshots -- python -m deploy.screenshots

Runs the browser tests (tests/browser/) with LARSPAR_SCREENSHOTS=1: they drive Debian's
Chromium through every page against the real server, worker, PostgreSQL and Redis, check each
with axe-core, and save it as docs/screenshots/<role>-<page>.png. Pictures of pages the run no
longer visits are removed; when a test fails, nothing is removed and the exit status is non-zero.
Needs DATABASE_URL and REDIS_URL (devservices provides them) and /usr/bin/chromium (installed by
the tests when run as root).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT_DIR = REPO_ROOT / "docs" / "screenshots"


def say(message: str) -> None:
    print(f"[screenshots] {message}", flush=True)


def stale_pictures(since: float) -> list[Path]:
    """PNGs in docs/screenshots/ that this run did not write."""
    return sorted(p for p in SCREENSHOT_DIR.glob("*.png") if p.stat().st_mtime < since)


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)  # e.g. -k vendor, to refresh a few
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        say(f"{' and '.join(missing)} not set: run `make screenshots`, which provides them.")
        return 2
    started = time.time() - 1  # file times may be coarser than time.time()
    env = {**os.environ, "LARSPAR_SCREENSHOTS": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/browser", *extra]
    status = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode
    written = [p for p in SCREENSHOT_DIR.glob("*.png") if p.stat().st_mtime >= started]
    if status != 0:
        say(f"the browser tests failed (exit {status}); {len(written)} picture(s) written")
        return status
    if not written:
        say("no picture was written (were the browser tests skipped? see above)")
        return 1
    if not extra:
        for stale in stale_pictures(started):
            stale.unlink()
            say(f"removed {stale.relative_to(REPO_ROOT)} (no such page any more)")
    say(f"{len(written)} picture(s) in {SCREENSHOT_DIR.relative_to(REPO_ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

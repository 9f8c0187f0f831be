"""Debian's Chromium for the browser tests: found, or installed with apt-get when we are root.

Never a browser download of Playwright's own (`playwright install` is not used anywhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
APT_TIMEOUT_SECONDS = 900
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every test host answers on this machine: the municipalities' hosts and the platform host.
    "--host-resolver-rules=MAP *.larspar.test 127.0.0.1, MAP larspar.test 127.0.0.1",
]


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=APT_TIMEOUT_SECONDS,
        check=False,
    )


def ensure_chromium() -> tuple[str | None, str]:
    """The path of Debian's Chromium, installing the `chromium` package as root if it is
    missing; else None and why (for the skip message)."""
    if CHROMIUM.exists():
        return str(CHROMIUM), ""
    if os.geteuid() != 0:
        return None, (
            f"no Chromium at {CHROMIUM} and not root, so it cannot be installed here: "
            "`sudo apt-get install chromium` (Debian's package) makes them run"
        )
    if shutil.which("apt-get") is None:
        return None, f"no Chromium at {CHROMIUM} and no apt-get to install Debian's package"
    result = _apt("install", "-y", "chromium")
    if result.returncode != 0:  # most often: the package lists were never fetched
        _apt("update")
        result = _apt("install", "-y", "chromium")
    if CHROMIUM.exists():
        return str(CHROMIUM), ""
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-5:])
    return None, f"`apt-get install -y chromium` did not provide {CHROMIUM}:\n{tail}"

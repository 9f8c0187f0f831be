"""`make demo`: migrate, seed the demo municipalities and logins, then run web, worker and beat.

    python -m deploy.devservices run --profile demo -- python -m deploy.demo

Needs DATABASE_URL and REDIS_URL (devservices provides them). The web server listens on
127.0.0.1:$DEMO_PORT (default 8000). Ctrl-C or SIGTERM stops every child; if one of them dies,
the others are stopped too and the exit status is non-zero.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from deploy.demo_seed import DemoLogin, MunicipalitySpec

REPO_ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = REPO_ROOT / ".state" / "demo"
LOG_DIR = STATE_DIR / "logs"
SETTINGS_MODULE = "config.settings.local"
# Demo hosts are "<slug>.localhost": browsers and curl resolve *.localhost to the loopback address.
PLATFORM_DOMAIN = "localhost"
CELERY_QUEUES = "interactive,imports,reports,default"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0  # devservices gives us 20s after Ctrl-C before it kills us


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


class DemoError(RuntimeError):
    """The demo cannot start; the message says why and what to do."""


# --- Environment -------------------------------------------------------------------------------


def demo_port() -> int:
    raw = os.environ.get("DEMO_PORT", "8000")
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DemoError(f"DEMO_PORT must be a port number, not {raw!r}.")
    return int(raw)


def child_environment(port: int) -> dict[str, str]:
    """What every child and this process run with: local settings, the demo host and port."""
    python_path = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
    if os.environ.get("PYTHONPATH"):
        python_path.append(os.environ["PYTHONPATH"])
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PLATFORM_DOMAIN": PLATFORM_DOMAIN,
        "PLATFORM_SCHEME": "http",
        # Invitation links and the printed URLs must carry the port the web server listens on.
        "PLATFORM_PORT": str(port),
        "PYTHONPATH": os.pathsep.join(python_path),
        "PYTHONUNBUFFERED": "1",
    }


def require_services() -> None:
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        raise DemoError(
            f"{' and '.join(missing)} not set: start the demo with `make demo`, which provides "
            "embedded PostgreSQL and Redis."
        )


def require_free_port(port: int) -> None:
    with socket.socket() as probe:
        # As the web server does, so a socket of the previous run in TIME_WAIT is no obstacle.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise DemoError(
                f"port {port} on 127.0.0.1 is already in use (another `make demo` or server?). "
                f"Stop that, or pick another port: DEMO_PORT={port + 1} make demo"
            ) from error


# --- Database: migrate and seed (in this process) ---------------------------------------------


def prepare_database(env: dict[str, str]) -> list[DemoLogin]:
    """Migrates every schema and seeds the demo data; returns the demo logins."""
    os.environ.update(env)  # the same settings as the children
    for path in (str(REPO_ROOT / "platform"), str(REPO_ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import override_settings

    django.setup()
    from deploy.demo_seed import DEMO_MUNICIPALITIES, seed_demo

    started = time.monotonic()
    call_command("migrate_platform", verbosity=0)
    say(f"migrations applied in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    # The onboarding service e-mails the first administrator's link after commit. The demo
    # accepts that invitation itself, so printing the (then spent) link would only mislead.
    # Only here: the web server keeps printing the e-mails of invitations made in the demo.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        logins = seed_demo(DEMO_MUNICIPALITIES, say=say)
    say(f"demo data seeded in {time.monotonic() - started:.1f}s")
    # This process only supervises from here on: give the connections back.
    connections.close_all()
    return logins


# --- Children ----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, the kernel sends SIGTERM when we die, so even a
    SIGKILLed demo leaves no orphaned server behind."""
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))


@dataclass
class Child:
    name: str
    command: list[str]
    log_path: Path | None  # None: output goes to our terminal
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        if self.log_path is not None:
            self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            # Its own process group: Ctrl-C reaches only us, and we stop the children in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal_group(self, signum: int) -> None:
        # The whole group: a prefork worker's pool processes must go as well.
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def demo_children(port: int) -> list[Child]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return [
        # runserver with DEBUG serves the static files as well; --noreload keeps it one process.
        Child("web", [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], None),
        Child(
            "worker",
            [*celery, "worker", "-l", "info", "-P", "prefork", "-c", "2", "-Q", CELERY_QUEUES],
            LOG_DIR / "worker.log",
        ),
        Child(
            "beat",
            [*celery, "beat", "-l", "info", "-s", str(STATE_DIR / "celerybeat-schedule")],
            LOG_DIR / "beat.log",
        ),
    ]


def stop_children(children: Sequence[Child]) -> None:
    """SIGTERM to all (web first, so no new work arrives), then SIGKILL whatever outlives the
    timeout. Celery's SIGTERM is a warm shutdown: a running task may finish within that time."""
    started = time.monotonic()
    for child in children:
        child.signal_group(signal.SIGTERM)
    deadline = started + STOP_TIMEOUT_SECONDS
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop in {STOP_TIMEOUT_SECONDS:.0f}s: killing it")
            child.signal_group(signal.SIGKILL)
            child.process.wait()
        child.close_log()
    say(f"all demo processes stopped in {time.monotonic() - started:.1f}s")


# --- Waiting and telling ----------------------------------------------------------------------


def answers_healthz(port: int, host: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz", headers={"Host": f"{host}:{port}"})
        response = connection.getresponse()
        response.read()  # closing before the body is read shows up as "Broken pipe" in the log
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def first_dead(children: Sequence[Child]) -> Child | None:
    return next((c for c in children if c.exit_code() is not None), None)


def wait_until_ready(
    port: int, host: str, children: Sequence[Child], stop: threading.Event
) -> Child | None:
    """Polls /healthz on ``host``; returns a child that died meanwhile (None when ready)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not stop.is_set():
        if (dead := first_dead(children)) is not None:
            return dead
        if answers_healthz(port, host):
            return None
        if time.monotonic() > deadline:
            raise DemoError(
                f"the web server did not answer /healthz within {READY_TIMEOUT_SECONDS:.0f}s"
            )
        stop.wait(0.2)
    return None


def banner(port: int, specs: Sequence[MunicipalitySpec], logins: Sequence[DemoLogin]) -> str:
    def url(host: str, path: str = "/") -> str:
        return f"http://{host}:{port}{path}"

    rule = "=" * 78
    lines = [
        rule,
        "Lärspår demo is running. Press Ctrl-C to stop.",
        "",
        f"  Vendor console        {url(PLATFORM_DOMAIN)}",
        *(f"  {spec.name:<21} {url(spec.domain)}" for spec in specs),
        f"  API docs              {url(PLATFORM_DOMAIN, '/api/docs/')} (vendor API)",
        *(f"  {'':<21} {url(spec.domain, '/api/docs/')}" for spec in specs),
        "",
        "  Demo logins (user name / password):",
    ]
    for login in logins:
        password = login.password or "(changed since the demo set it; the demo does not reset it)"
        lines.append(f"    {login.role:<27} at {login.host:<22} {login.username}")
        lines.append(f"    {'':<27}    password: {password}")
    lines += [
        "",
        "  Staff and administrators set up two-factor sign-in (any TOTP app) on their first",
        "  visit to pupil data; the set-up page shows the secret as text as well as a QR code.",
        "  Teachers, pupils and guardians come from the register import (SS 12000 bundle).",
        "  E-mails (invitations) are printed by the web server below.",
        f"  Worker and beat logs: {LOG_DIR.relative_to(REPO_ROOT)}/worker.log, beat.log",
        rule,
    ]
    return "\n".join(lines)


# --- Main --------------------------------------------------------------------------------------


def install_stop_handlers(stop: threading.Event) -> None:
    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        # No printing here (not safe inside a handler). Repeated signals are expected: the
        # terminal and devservices both send SIGINT, and all they ask for is one clean stop.
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)


def supervise(port: int, env: dict[str, str], logins: list[DemoLogin], started: float) -> int:
    from deploy.demo_seed import DEMO_MUNICIPALITIES

    stop = threading.Event()
    install_stop_handlers(stop)
    children = demo_children(port)
    try:
        for child in children:
            child.start(env)
        say("web, worker and beat started; waiting for the web server")
        dead = wait_until_ready(port, DEMO_MUNICIPALITIES[0].domain, children, stop)
        if dead is None and not stop.is_set():
            say(f"ready in {time.monotonic() - started:.1f}s")
            print(banner(port, DEMO_MUNICIPALITIES, logins), flush=True)
            while not stop.wait(0.5):
                if (dead := first_dead(children)) is not None:
                    break
        if dead is not None:
            say(f"{dead.name} exited unexpectedly (status {dead.exit_code()}): stopping the rest")
            if tail := dead.log_tail():
                print(f"--- last lines of {dead.log_path} ---\n{tail}", flush=True)
            return 1
        say("stop requested: stopping web, worker and beat")
        return 0
    finally:
        stop_children(children)


def main() -> int:
    started = time.monotonic()
    try:
        require_services()
        port = demo_port()
        require_free_port(port)
        env = child_environment(port)
        logins = prepare_database(env)
        # Checked again: migrations take a while, and something may have taken the port meanwhile.
        require_free_port(port)
        return supervise(port, env, logins, started)
    except DemoError as error:
        say(f"ERROR: {error}")
        return 2
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())

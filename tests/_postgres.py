"""A throwaway PostgreSQL + PostGIS server for the tests (``symbiosis map --out postgresql://``
now, the web app's ``--database postgresql://`` job store next).

:func:`start_server` runs ``initdb`` into a new temporary folder and starts ``postgres`` on
127.0.0.1 at a free port (no Unix socket outside that folder), with a superuser whose password
is random and required over TCP (scram-sha-256), and a database :data:`DATABASE` with the
PostGIS extension. PostgreSQL refuses to run as root: when the tests run as root, the server
runs as the ``postgres`` OS user (``runuser -u postgres --``) in a folder it owns.

Use the session fixture :func:`postgres_server` (a test module registers this file with
``pytest_plugins = ("_postgres",)``) and
:meth:`PostgresServer.create_database` for a database of one's own. The tests skip, with the
reason, when the server binaries or PostGIS are absent; under CI (``CI=true``), where
``.ci/run`` installs them, they fail instead so that they never silently stop running.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "symbiosis"
DATABASE = "symbiosis_test"
#: where Debian puts each version's server binaries
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"


class Unavailable(RuntimeError):
    """No server can be started here (the reason is the message)."""


def find_bindir() -> Path | None:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``: ``$PG_BINDIR``, else Debian's
    newest ``/usr/lib/postgresql/N/bin``, else the one on ``PATH``.

    Returns
    -------
    Path or None
        The folder; None when no server is installed.
    """
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    candidates += sorted(
        Path("/").glob(DEBIAN_BINDIRS.lstrip("/")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now.

    Returns
    -------
    int
        The port number.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway server.

    Parameters
    ----------
    bindir : Path
        Its binaries.
    root : Path
        The temporary folder holding the data directory, socket and log.
    port : int
        Its port on 127.0.0.1.
    password : str
        The superuser's password.
    run_as : list of str
        The command prefix that runs a tool as the server's OS user (empty: this user).
    """

    bindir: Path
    root: Path
    port: int
    password: str
    run_as: list[str]
    host: str = "127.0.0.1"
    user: str = SUPERUSER

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.root / "data"

    def url(self, database: str = DATABASE, *, password: bool = True) -> str:
        """A ``postgresql://`` URL of a database on this server.

        Parameters
        ----------
        database : str
            The database.
        password : bool
            Put the password in the URL (False: give it another way, e.g. PGPASSWORD).

        Returns
        -------
        str
            ``postgresql://symbiosis[:password]@127.0.0.1:PORT/database``.
        """
        secret = f":{self.password}" if password else ""
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{database}"

    def tool(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one of the server's binaries as its OS user.

        Parameters
        ----------
        name : str
            ``pg_ctl``, ``initdb``, ``psql`` ...
        *args : str
            Its arguments.
        check : bool
            Raise on a non-zero exit.

        Returns
        -------
        CompletedProcess
            Its output (text).
        """
        return subprocess.run(
            [*self.run_as, str(self.bindir / name), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def sql(self, statement: str, database: str = DATABASE) -> str:
        """Run SQL as the superuser (psql over the private socket) and return its output.

        Parameters
        ----------
        statement : str
            One or more statements.
        database : str
            The database.

        Returns
        -------
        str
            psql's unaligned, tuples-only output.
        """
        psql = self.bindir / "psql"
        if not psql.exists():
            psql = Path(shutil.which("psql") or "psql")
        done = subprocess.run(
            [
                *self.run_as,
                *(str(psql), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"),
                *("-h", str(self.root), "-p", str(self.port), "-U", self.user, "-d", database),
                *("-c", statement),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout.strip()

    def create_database(self, name: str, *, postgis: bool = True) -> str:
        """A new database (with PostGIS unless told not) and its URL.

        Parameters
        ----------
        name : str
            Its name (a plain identifier).
        postgis : bool
            Create the PostGIS extension in it.

        Returns
        -------
        str
            Its URL, password included (:meth:`url`).
        """
        self.sql(f"CREATE DATABASE {name}", "postgres")
        if postgis:
            self.sql("CREATE EXTENSION postgis", name)
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        with contextlib.suppress(Exception):
            self.tool("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _run_as() -> tuple[list[str], int | None]:
    """The prefix running the server as a user PostgreSQL accepts, and that user's uid.

    Returns
    -------
    tuple of (list of str, int or None)
        ``runuser -u postgres --`` and postgres's uid when this process is root; else
        ``[]`` and None.

    Raises
    ------
    Unavailable
        Root without a ``postgres`` OS user or ``runuser``.
    """
    if os.geteuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        raise Unavailable("running as root and there is no 'postgres' OS user") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root and runuser(1) is missing")
    return [runuser, "-u", "postgres", "--"], uid


def start_server() -> PostgresServer:
    """initdb + start a server on 127.0.0.1 at a free port, with PostGIS in :data:`DATABASE`.

    Returns
    -------
    PostgresServer
        The running server (call :meth:`PostgresServer.stop`).

    Raises
    ------
    Unavailable
        No server binaries, no PostGIS, or the server would not start (with its log).
    """
    bindir = find_bindir()
    if bindir is None:
        raise Unavailable(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: "
            "apt-get install postgresql postgresql-15-postgis-3 (.ci/run does)"
        )
    run_as, uid = _run_as()
    root = Path(tempfile.mkdtemp(prefix="symbiosis-pg-"))
    if uid is not None:
        os.chown(root, uid, -1)
    password = secrets.token_urlsafe(18)
    server = PostgresServer(bindir, root, free_port(), password, run_as)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if uid is not None:
        os.chown(pwfile, uid, -1)
    try:
        _init_and_start(server, pwfile)
    except Exception:
        server.stop()
        raise
    return server


def _init_and_start(server: PostgresServer, pwfile: Path) -> None:
    """initdb, start, and create :data:`DATABASE` with PostGIS.

    Parameters
    ----------
    server : PostgresServer
        The server to set up (its folder exists, owned by its OS user).
    pwfile : Path
        The file holding the superuser's password (removed here).
    """
    done = server.tool(
        "initdb",
        "-D",
        str(server.data),
        "-U",
        SUPERUSER,
        f"--pwfile={pwfile}",
        "-E",
        "UTF8",
        "--locale=C",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--no-sync",
        check=False,
    )
    pwfile.unlink()
    if done.returncode != 0:
        raise Unavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
    options = (
        f"-c listen_addresses=127.0.0.1 -p {server.port} -c unix_socket_directories={server.root}"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    log = server.root / "server.log"
    started = server.tool(
        "pg_ctl", "-D", str(server.data), "-o", options, "-l", str(log), "-w", "start", check=False
    )
    if started.returncode != 0:
        text = log.read_text(errors="replace")[-800:] if log.exists() else started.stderr
        raise Unavailable(f"postgres did not start: {text.strip()}")
    server.sql(f"CREATE DATABASE {DATABASE}", "postgres")
    available = server.sql(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'", DATABASE
    )
    if available != "1":
        raise Unavailable(
            "PostGIS is not installed for this PostgreSQL: apt-get install "
            f"postgresql-{server.bindir.parent.name}-postgis-3 (.ci/run does)"
        )
    server.sql("CREATE EXTENSION postgis", DATABASE)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL + PostGIS server for the session, stopped at its end.

    Yields
    ------
    PostgresServer
        The running server; :data:`DATABASE` has PostGIS.
    """
    try:
        server = start_server()
    except Unavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {exc}")
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()

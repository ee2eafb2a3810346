"""The job table of the web app: one row per run asked for, shared by the web process (which
adds, reads and cancels jobs) and the worker processes (which claim and run them).

The store is reached only through :class:`JobStore`, whose methods are plain SQL on a DB-API
connection, one short transaction each, so that every process may open its own. This module
implements it twice on the same SQL (:class:`SqlJobStore`): on SQLite
(:class:`SqliteJobStore`, the file ``DIR/jobs.sqlite`` in WAL mode: readers never wait for
the writer), the default, and on PostgreSQL for a shared server (:class:`PostgresJobStore`,
``symbiosis serve --database postgresql://...``: psycopg 3, the same statements with ``%s``
placeholders, a queued job claimed with ``FOR UPDATE SKIP LOCKED``). :func:`open_store`
chooses by the ``--database`` URL.

A job's life: ``queued`` -> ``running`` (a worker claimed it, atomically) -> ``done``,
``failed`` or ``cancelled``; a queued job cancelled goes straight to ``cancelled``; a running
job whose worker died is ``failed`` with the reason; a running job whose server stopped is
``queued`` again when a server starts on the same folder.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from symbiosis.errors import InputError, Problem, hide_password

#: every status a job can have, in the order of its life
STATUSES = ("queued", "running", "done", "failed", "cancelled")
#: the statuses a job ends in
FINISHED = ("done", "failed", "cancelled")

_COLUMNS = (
    "id",
    "seq",
    "name",
    "source",
    "scenario",
    "base_dir",
    "overrides",
    "time_limit",
    "status",
    "stage",
    "gap",
    "incumbent",
    "bound",
    "result",
    "exit_code",
    "error",
    "problems",
    "cancel_requested",
    "attempts",
    "created",
    "started",
    "finished",
    "worker_pid",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    scenario TEXT NOT NULL,
    base_dir TEXT NOT NULL,
    overrides TEXT NOT NULL DEFAULT '{}',
    time_limit REAL,
    status TEXT NOT NULL DEFAULT 'queued',
    stage TEXT,
    gap REAL,
    incumbent REAL,
    bound REAL,
    result TEXT,
    exit_code INTEGER,
    error TEXT,
    problems TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT,
    worker_pid INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_status_seq ON jobs (status, seq);
"""
#: the URL schemes of a PostgreSQL job table (``--database``)
DATABASE_SCHEMES = ("postgresql", "postgres")
#: the form of a ``--database`` URL, as messages give it
DATABASE_FORM = "postgresql://user[:password]@host[:port]/database[?schema=name]"
#: the key of the advisory lock that serialises submitting (and creating the table)
_PG_LOCK = 0x5359_4D42  # "SYMB"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def now() -> str:
    """The time now, as the job table keeps it.

    Returns
    -------
    str
        ISO 8601 in UTC to the millisecond, e.g. ``2026-12-01T09:30:00.123+00:00``.
    """
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class JobSpec:
    """What a job runs: a scenario as YAML text, where its relative paths start, and what
    the request changed.

    Attributes
    ----------
    name : str
        The scenario's name (its ``name``, or its file's stem).
    source : str
        Where the text came from: a bundled file's name (``guizhou-2025.yaml``) or
        ``upload``.
    scenario : str
        The scenario's YAML text, as given (before ``overrides``).
    base_dir : str
        The folder its ``case`` and ``extends`` are relative to (absolute).
    overrides : dict
        Scenario keys merged over the text's (``{"target": {"total": 8e7}}``).
    time_limit : float or None
        Seconds for the solve (the run's ``--time-limit``); None: the scenario's.
    """

    name: str
    source: str
    scenario: str
    base_dir: str
    overrides: dict[str, Any] = field(default_factory=dict)
    time_limit: float | None = None


@dataclass(frozen=True)
class Job:
    """One row of the job table.

    Attributes
    ----------
    id : str
        The job's id (12 hex digits), also its run folder's name under ``DIR/runs``.
    spec : JobSpec
        What it runs.
    status : str
        One of :data:`STATUSES`.
    stage : str or None
        The run's stage now (``read``, ``network``, ``solve`` ...), or the last one.
    gap, incumbent, bound : float or None
        The solver's last report: relative gap, best objective found, lower bound.
    result : str or None
        The run's status from its summary.json (``optimal``, ``feasible``, ``infeasible``)
        once it wrote a folder.
    exit_code : int or None
        The exit code ``symbiosis run`` would have given.
    error : str or None
        Why it failed (or what cancelling it kept), in words.
    problems : list of dict
        Invalid input, one mapping per problem (file, row, column, value, message, text).
    cancel_requested : bool
        Cancelling was asked for while it ran.
    attempts : int
        How many times a worker claimed it.
    created, started, finished : str or None
        When (:func:`now`).
    worker_pid : int or None
        The worker process running (or that last ran) it.
    """

    id: str
    spec: JobSpec
    status: str
    stage: str | None = None
    gap: float | None = None
    incumbent: float | None = None
    bound: float | None = None
    result: str | None = None
    exit_code: int | None = None
    error: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    cancel_requested: bool = False
    attempts: int = 0
    created: str | None = None
    started: str | None = None
    finished: str | None = None
    worker_pid: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The job as the API shows it.

        Returns
        -------
        dict
            id, name, source, overrides, time_limit, status, stage, gap, incumbent, bound,
            result, exit_code, error, problems, cancel_requested, attempts, created,
            started, finished, worker_pid (the scenario's text and folder are left out).
        """
        return {
            "id": self.id,
            "name": self.spec.name,
            "source": self.spec.source,
            "overrides": self.spec.overrides,
            "time_limit": self.spec.time_limit,
            "status": self.status,
            "stage": self.stage,
            "gap": self.gap,
            "incumbent": self.incumbent,
            "bound": self.bound,
            "result": self.result,
            "exit_code": self.exit_code,
            "error": self.error,
            "problems": self.problems,
            "cancel_requested": self.cancel_requested,
            "attempts": self.attempts,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "worker_pid": self.worker_pid,
        }


def _job(row: Any) -> Job:
    values = dict(zip(_COLUMNS, row, strict=True))
    spec = JobSpec(
        name=values["name"],
        source=values["source"],
        scenario=values["scenario"],
        base_dir=values["base_dir"],
        overrides=json.loads(values["overrides"] or "{}"),
        time_limit=values["time_limit"],
    )
    return Job(
        id=values["id"],
        spec=spec,
        status=values["status"],
        stage=values["stage"],
        gap=values["gap"],
        incumbent=values["incumbent"],
        bound=values["bound"],
        result=values["result"],
        exit_code=values["exit_code"],
        error=values["error"],
        problems=json.loads(values["problems"] or "[]"),
        cancel_requested=bool(values["cancel_requested"]),
        attempts=int(values["attempts"]),
        created=values["created"],
        started=values["started"],
        finished=values["finished"],
        worker_pid=values["worker_pid"],
    )


class JobStore(Protocol):
    """What the web process and the workers ask of the job table (any database)."""

    def submit(self, spec: JobSpec, max_queued: int) -> Job | None: ...
    def get(self, job_id: str) -> Job | None: ...
    def jobs(self, limit: int = 100) -> list[Job]: ...
    def uploaded(self) -> dict[str, Job]: ...
    def claim(self, pid: int) -> Job | None: ...
    def progress(self, job_id: str, values: dict[str, Any]) -> None: ...
    def finish(self, job_id: str, pid: int, status: str, values: dict[str, Any]) -> bool: ...
    def requeue(self, job_id: str, pid: int) -> bool: ...
    def cancel(self, job_id: str) -> Job | None: ...
    def cancel_requested(self, job_id: str) -> bool: ...
    def fail_worker(self, pid: int, reason: str) -> list[str]: ...
    def requeue_orphans(self, alive: Callable[[int], bool]) -> list[str]: ...
    def counts(self) -> dict[str, int]: ...


class SqlJobStore:
    """The job table's statements, shared by the SQLite and the PostgreSQL store: each
    method is one short transaction on a connection of its own (:meth:`_connect`,
    :meth:`_write`), written with ``?`` placeholders.

    A subclass gives the connections and :attr:`skip_locked`, the clause that lets two
    workers claiming at once each take a different job.
    """

    #: appended to the sub-select of :meth:`claim` (PostgreSQL: ``FOR UPDATE SKIP LOCKED``)
    skip_locked = ""

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        raise NotImplementedError  # pragma: no cover (each store has its own)
        yield

    @contextmanager
    def _write(self, serial: bool = False) -> Iterator[Any]:
        raise NotImplementedError  # pragma: no cover (each store has its own)
        yield

    def _select(self, db: Any, where: str, args: tuple[Any, ...]) -> list[Job]:
        rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs {where}", args).fetchall()
        return [_job(row) for row in rows]

    def submit(self, spec: JobSpec, max_queued: int) -> Job | None:
        """Add a queued job, unless ``max_queued`` jobs are already waiting.

        Parameters
        ----------
        spec : JobSpec
            What to run.
        max_queued : int
            How many queued jobs the queue holds at most.

        Returns
        -------
        Job or None
            The new job; None when the queue is full.
        """
        job_id = uuid.uuid4().hex[:12]
        with self._write(serial=True) as db:
            (waiting,) = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()
            if waiting >= max_queued:
                return None
            (seq,) = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()
            db.execute(
                "INSERT INTO jobs (id, seq, name, source, scenario, base_dir, overrides, "
                "time_limit, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    seq,
                    spec.name,
                    spec.source,
                    spec.scenario,
                    spec.base_dir,
                    json.dumps(spec.overrides),
                    spec.time_limit,
                    now(),
                ),
            )
            return self._select(db, "WHERE id = ?", (job_id,))[0]

    def get(self, job_id: str) -> Job | None:
        """One job.

        Parameters
        ----------
        job_id : str
            Its id.

        Returns
        -------
        Job or None
            The job; None when there is none by that id.
        """
        with self._connect() as db:
            found = self._select(db, "WHERE id = ?", (job_id,))
        return found[0] if found else None

    def jobs(self, limit: int = 100) -> list[Job]:
        """The latest jobs.

        Parameters
        ----------
        limit : int
            How many at most.

        Returns
        -------
        list of Job
            Newest first.
        """
        with self._connect() as db:
            return self._select(db, "ORDER BY seq DESC LIMIT ?", (int(limit),))

    def uploaded(self) -> dict[str, Job]:
        """The scenarios uploaded as YAML text, by name: the latest job of each.

        Returns
        -------
        dict of str to Job
            Scenario name -> its latest job whose source is ``upload``.
        """
        with self._connect() as db:
            found = self._select(db, "WHERE source = 'upload' ORDER BY seq", ())
        return {job.spec.name: job for job in found}

    def claim(self, pid: int) -> Job | None:
        """Take the oldest queued job for the worker ``pid``, atomically (one statement:
        two workers never take the same job).

        Parameters
        ----------
        pid : int
            The worker's process id.

        Returns
        -------
        Job or None
            The job, now ``running``; None when none is queued.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'running', worker_pid = ?, started = ?, "
                "stage = NULL, gap = NULL, incumbent = NULL, bound = NULL, "
                "attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE status = "
                f"'queued' ORDER BY seq LIMIT 1{self.skip_locked}) AND status = 'queued' "
                "RETURNING id",
                (pid, now()),
            )
            row = cursor.fetchone()
            cursor.close()
            return None if row is None else self._select(db, "WHERE id = ?", (row[0],))[0]

    def progress(self, job_id: str, values: dict[str, Any]) -> None:
        """Record a running job's stage or the solver's report.

        Parameters
        ----------
        job_id : str
            The job.
        values : dict
            Any of ``stage``, ``gap``, ``incumbent``, ``bound``.
        """
        allowed = {k: v for k, v in values.items() if k in ("stage", "gap", "incumbent", "bound")}
        if not allowed:
            return
        sets = ", ".join(f"{k} = ?" for k in allowed)
        with self._write() as db:
            db.execute(
                f"UPDATE jobs SET {sets} WHERE id = ? AND status = 'running'",
                (*allowed.values(), job_id),
            )

    def finish(self, job_id: str, pid: int, status: str, values: dict[str, Any]) -> bool:
        """End a running job, if the worker ``pid`` still holds it.

        Parameters
        ----------
        job_id : str
            The job.
        pid : int
            The worker that ran it (a job already failed by the supervisor is left alone).
        status : str
            ``done``, ``failed`` or ``cancelled``.
        values : dict
            Any of ``result``, ``exit_code``, ``error``, ``problems`` (a list), ``stage``,
            ``gap``, ``incumbent``, ``bound``.

        Returns
        -------
        bool
            Whether the job was ended here.
        """
        if status not in FINISHED:
            raise ValueError(f"{status}: a job ends in one of {', '.join(FINISHED)}")
        keys = ("result", "exit_code", "error", "problems", "stage", "gap", "incumbent", "bound")
        given = {k: v for k, v in values.items() if k in keys}
        if "problems" in given:
            given["problems"] = json.dumps(given["problems"])
        sets = "".join(f", {k} = ?" for k in given)
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE jobs SET status = ?, finished = ?{sets} WHERE id = ? AND "
                "worker_pid = ? AND status = 'running'",
                (status, now(), *given.values(), job_id, pid),
            )
            return cursor.rowcount == 1

    def requeue(self, job_id: str, pid: int) -> bool:
        """Put a running job back in the queue (its worker is stopping with the server).

        Parameters
        ----------
        job_id : str
            The job.
        pid : int
            The worker that holds it.

        Returns
        -------
        bool
            Whether it was queued again.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'queued', worker_pid = NULL, stage = NULL "
                "WHERE id = ? AND worker_pid = ? AND status = 'running'",
                (job_id, pid),
            )
            return cursor.rowcount == 1

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job: a queued one ends ``cancelled`` at once; a running one is marked
        ``cancel_requested`` for its worker, which stops the solve keeping its incumbent.

        Parameters
        ----------
        job_id : str
            The job.

        Returns
        -------
        Job or None
            The job after the change (unchanged if it had ended); None when there is none.
        """
        with self._write() as db:
            db.execute(
                "UPDATE jobs SET status = 'cancelled', finished = ?, error = ? "
                "WHERE id = ? AND status = 'queued'",
                (now(), "cancelled before it started", job_id),
            )
            db.execute(
                "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status = 'running'",
                (job_id,),
            )
            found = self._select(db, "WHERE id = ?", (job_id,))
        return found[0] if found else None

    def cancel_requested(self, job_id: str) -> bool:
        """Whether cancelling a job was asked for.

        Parameters
        ----------
        job_id : str
            The job.

        Returns
        -------
        bool
            True when its ``cancel_requested`` is set.
        """
        with self._connect() as db:
            row = db.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    def fail_worker(self, pid: int, reason: str) -> list[str]:
        """Fail the running jobs of a worker that died.

        Parameters
        ----------
        pid : int
            The dead worker's process id.
        reason : str
            Why, in words (the job's ``error``).

        Returns
        -------
        list of str
            The ids of the jobs failed.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'failed', finished = ?, error = ? "
                "WHERE worker_pid = ? AND status = 'running' RETURNING id",
                (now(), reason, pid),
            )
            ids = [row[0] for row in cursor.fetchall()]
            cursor.close()
            return ids

    def requeue_orphans(self, alive: Callable[[int], bool]) -> list[str]:
        """Queue again the jobs left ``running`` by a server that stopped (their worker is
        no longer alive); one whose cancelling was asked for ends ``cancelled`` instead.

        Parameters
        ----------
        alive : callable
            Whether a process id is a live process.

        Returns
        -------
        list of str
            The ids of the jobs queued again.
        """
        with self._write(serial=True) as db:
            running = self._select(db, "WHERE status = 'running'", ())
            orphans = [j for j in running if j.worker_pid is None or not alive(j.worker_pid)]
            queued = []
            for job in orphans:
                if job.cancel_requested:
                    db.execute(
                        "UPDATE jobs SET status = 'cancelled', finished = ?, error = ? "
                        "WHERE id = ? AND status = 'running'",
                        (now(), "cancelled while its server stopped", job.id),
                    )
                    continue
                cursor = db.execute(
                    "UPDATE jobs SET status = 'queued', worker_pid = NULL, stage = NULL "
                    "WHERE id = ? AND status = 'running' AND COALESCE(worker_pid, -1) = ?",
                    (job.id, -1 if job.worker_pid is None else job.worker_pid),
                )
                if cursor.rowcount == 1:
                    queued.append(job.id)
            return queued

    def counts(self) -> dict[str, int]:
        """How many jobs have each status.

        Returns
        -------
        dict of str to int
            Every status of :data:`STATUSES` (0 when none).
        """
        with self._connect() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        found = {status: 0 for status in STATUSES}
        found.update({str(status): int(n) for status, n in rows})
        return found


class SqliteJobStore(SqlJobStore):
    """The job table in a SQLite file (WAL mode), one connection per call.

    Parameters
    ----------
    path : Path
        The database file (created with its table when missing).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self, serial: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so that reads and
        writes in it see no other writer (every write is serial in SQLite)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


def is_database_url(text: object) -> bool:
    """Whether ``text`` is a PostgreSQL URL (``postgresql://`` or ``postgres://``).

    Parameters
    ----------
    text : object
        A ``--database`` value.

    Returns
    -------
    bool
        True for a str starting with one of :data:`DATABASE_SCHEMES` and ``://``.
    """
    if not isinstance(text, str):
        return False
    scheme, sep, _rest = text.partition("://")
    return bool(sep) and scheme.lower() in DATABASE_SCHEMES


class StoreUnavailable(RuntimeError):
    """The job table's database cannot be reached (the message never holds its password)."""


class _Placeholders:
    """A psycopg connection taking the store's ``?`` placeholders (as ``%s``)."""

    def __init__(self, conn: Any):
        self.conn = conn

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), args)


def _database_problem(url: str, why: str) -> InputError:
    return InputError([Problem("--database", why, value=hide_password(url))], "command line")


@dataclass(frozen=True)
class PostgresTarget:
    """A parsed ``--database`` URL.

    Attributes
    ----------
    url : str
        What libpq connects to: the URL without ``schema`` (other query parameters, such
        as ``sslmode``, go to libpq; the password from the URL, else ``PGPASSWORD`` or
        ``~/.pgpass``).
    schema : str or None
        The schema the table ``jobs`` is in (created if missing); None: libpq's
        ``search_path`` (``public``).
    password : str or None
        The URL's password, masked in every message.
    """

    url: str
    schema: str | None
    password: str | None

    def shown(self) -> str:
        """The URL as messages show it, its password as ``***``.

        Returns
        -------
        str
            ``postgresql://user:***@host:port/db``.
        """
        return hide_password(self.url, self.password)


def parse_database(text: str) -> PostgresTarget:
    """Parse ``postgresql://[user[:password]@]host[:port]/database[?schema=name]``.

    Parameters
    ----------
    text : str
        The ``--database`` URL.

    Returns
    -------
    PostgresTarget
        What to connect to and the schema.

    Raises
    ------
    InputError
        Not a PostgreSQL URL, no database named, a port outside 1..65535, or a schema that
        is not a plain identifier (the URL shown with its password masked).
    """
    if not is_database_url(text):
        raise _database_problem(text, f"not a PostgreSQL URL; expected {DATABASE_FORM}")
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        raise _database_problem(text, "port out of range; allowed: 1 to 65535")
    if not parts.path.strip("/"):
        raise _database_problem(text, f"the URL names no database; expected {DATABASE_FORM}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    schema = schemas[-1] if schemas else None
    if schema is not None and not _IDENTIFIER.match(schema):
        raise _database_problem(
            text, f"schema {schema!r}: allowed letters, digits and _ (at most 63)"
        )
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    url = urlunsplit(parts._replace(query=rest))
    password = parts.password
    return PostgresTarget(url, schema, password or None)


class PostgresJobStore(SqlJobStore):
    """The job table in PostgreSQL (psycopg 3), one connection per call: for a server whose
    jobs must outlive its folder, or several servers on one host sharing a queue.

    A worker claims the oldest queued job with ``SELECT ... FOR UPDATE SKIP LOCKED``: two
    workers claiming at once take different jobs without waiting on each other. Submitting
    (the queue's length checked, then the row added) and re-queueing a stopped server's jobs
    hold a transaction-level advisory lock, so they are serial as in SQLite.

    Parameters
    ----------
    url : str
        ``postgresql://user[:password]@host[:port]/database[?schema=name]``.

    Raises
    ------
    InputError
        An invalid URL, or the database cannot be reached or written (the URL shown with its
        password masked; exit 2 from the command line).
    """

    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str):
        self.target = parse_database(url)
        try:
            with self._write(serial=True) as db:
                if self.target.schema:
                    db.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.target.schema}"')
                for statement in _SCHEMA.replace("REAL", "DOUBLE PRECISION").split(";"):
                    if statement.strip():
                        db.execute(statement)
        except StoreUnavailable as exc:
            raise _database_problem(url, f"cannot use the job table: {exc}") from None

    def _open(self) -> Any:
        import psycopg

        extra: dict[str, Any] = {"connect_timeout": 10}
        if self.target.schema:
            extra["options"] = f"-c search_path={self.target.schema}"
        try:
            return psycopg.connect(self.target.url, autocommit=True, **extra)
        except psycopg.Error as exc:
            raise StoreUnavailable(self._masked(exc)) from None

    def _masked(self, exc: Exception) -> str:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return hide_password(first, self.target.password)

    @contextmanager
    def _connect(self) -> Iterator[_Placeholders]:
        import psycopg

        conn = self._open()
        try:
            yield _Placeholders(conn)
        except psycopg.Error as exc:
            raise StoreUnavailable(self._masked(exc)) from None
        finally:
            conn.close()

    @contextmanager
    def _write(self, serial: bool = False) -> Iterator[_Placeholders]:
        """One transaction; with ``serial``, holding the store's advisory lock first."""
        import psycopg

        conn = self._open()
        try:
            with conn.transaction():
                if serial:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK,))
                yield _Placeholders(conn)
        except psycopg.Error as exc:
            raise StoreUnavailable(self._masked(exc)) from None
        finally:
            conn.close()


def open_store(data_dir: Path, database: str | None = None) -> SqlJobStore:
    """The job store of a server: PostgreSQL when a ``--database`` URL is given, else the
    SQLite file of its folder.

    Parameters
    ----------
    data_dir : Path
        The server's folder (``--data``): the SQLite file is ``jobs.sqlite`` there.
    database : str or None
        ``postgresql://...`` (``--database`` / ``SYMBIOSIS_DATABASE``); None: SQLite.

    Returns
    -------
    SqlJobStore
        The store, its table created if missing.

    Raises
    ------
    InputError
        An invalid or unreachable database URL (named with its password masked).
    """
    if database:
        return PostgresJobStore(database)
    return SqliteJobStore(Path(data_dir) / "jobs.sqlite")


__all__ = [
    "DATABASE_FORM",
    "DATABASE_SCHEMES",
    "FINISHED",
    "STATUSES",
    "Job",
    "JobSpec",
    "JobStore",
    "PostgresJobStore",
    "PostgresTarget",
    "SqlJobStore",
    "SqliteJobStore",
    "StoreUnavailable",
    "is_database_url",
    "now",
    "open_store",
    "parse_database",
]

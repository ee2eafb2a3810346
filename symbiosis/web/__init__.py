"""Stage "app": the web app, ``symbiosis serve`` (issue 14).

One command starts it all: a FastAPI app on uvicorn (:mod:`symbiosis.web.app`), the job
table in SQLite under the data folder (:mod:`symbiosis.web.jobs`), and worker processes that
run the jobs with the library's runner (:mod:`symbiosis.web.worker`), watched and replaced by
a supervisor in the web process (:mod:`symbiosis.web.supervisor`). Scenarios are the bundled
``models/*.yaml`` and those sent as YAML text, which may read only cases under the data
folder or the bundled data (:mod:`symbiosis.web.scenarios`).

The web process never runs a job: it answers requests, so it answers them quickly whatever
is being solved.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symbiosis.errors import InputError, Problem

#: the environment variable holding the bearer token (``--token`` wins)
TOKEN_VAR = "SYMBIOSIS_TOKEN"
#: the environment variable holding the job table's PostgreSQL URL (``--database`` wins)
DATABASE_VAR = "SYMBIOSIS_DATABASE"


@dataclass(frozen=True)
class ServeOptions:
    """``symbiosis serve``'s options.

    Attributes
    ----------
    host : str
        The address to listen on (default loopback, ``127.0.0.1``).
    port : int
        The TCP port.
    data_dir : Path
        Runs and jobs are stored here (default ``./runs``).
    workers : int or None
        Worker processes (None: one per core).
    token : str or None
        The bearer token (None: ``SYMBIOSIS_TOKEN``, else none).
    database : str or None
        The job table's PostgreSQL URL (None: ``SYMBIOSIS_DATABASE``, else the SQLite file
        ``jobs.sqlite`` in ``data_dir``).
    max_queued : int
        Runs waiting at most; more are refused with 429.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("runs")
    workers: int | None = None
    token: str | None = None
    database: str | None = None
    max_queued: int = 100


def is_loopback(host: str) -> bool:
    """Whether an address to listen on is reachable from this machine only.

    Parameters
    ----------
    host : str
        ``127.0.0.1``, ``::1``, ``localhost``, ``0.0.0.0`` ...

    Returns
    -------
    bool
        True for ``localhost`` and loopback addresses.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_token(options: ServeOptions) -> str | None:
    """The token the server requires, refusing to listen beyond loopback without one.

    Parameters
    ----------
    options : ServeOptions
        The options (``token``; else the environment variable ``SYMBIOSIS_TOKEN``).

    Returns
    -------
    str or None
        The token; None when there is none (loopback only).

    Raises
    ------
    InputError
        A host that is not loopback without a token, or an empty token, or a port outside
        1..65535, fewer than 0 workers, or a queue of fewer than 1 run.
    """
    token = options.token if options.token is not None else os.environ.get(TOKEN_VAR)
    problems = []
    if token is not None and not token.strip():
        problems.append(Problem("--token", "empty; allowed: a secret of 16 characters or more"))
    elif token is not None and len(token.strip()) < 16:
        problems.append(Problem("--token", "too short; allowed: a secret of 16 characters or more"))
    if not token and not is_loopback(options.host):
        problems.append(
            Problem(
                "--host",
                f"{options.host} is not a loopback address: the server needs a token to "
                f"listen there (--token or {TOKEN_VAR}); allowed without one: 127.0.0.1, "
                "::1, localhost",
                value=options.host,
            )
        )
    if not 1 <= options.port <= 65535:
        problems.append(Problem("--port", "allowed: 1 to 65535", value=str(options.port)))
    if options.workers is not None and options.workers < 0:
        problems.append(Problem("--workers", "allowed: 0 or more", value=str(options.workers)))
    if options.max_queued < 1:
        problems.append(
            Problem("--max-queued", "allowed: 1 or more", value=str(options.max_queued))
        )
    if problems:
        raise InputError(problems, "command line")
    return token.strip() if token else None


def prepare(options: ServeOptions) -> Any:
    """Check the options and build the server (nothing listens or runs yet).

    Parameters
    ----------
    options : ServeOptions
        Where to listen, the data folder, the workers and the token.

    Returns
    -------
    uvicorn.Server
        The server, its app made (:func:`symbiosis.web.app.create_app`).

    Raises
    ------
    InputError
        Invalid options (:func:`checked_token`), or a ``--database`` that is not a
        PostgreSQL URL or cannot be used (its password masked), before anything is made.
    """
    import uvicorn

    from symbiosis.web.app import AppOptions, create_app

    token = checked_token(options)
    workers = options.workers if options.workers is not None else (os.cpu_count() or 1)
    database = options.database or os.environ.get(DATABASE_VAR, "").strip() or None
    app = create_app(
        AppOptions(
            data_dir=Path(options.data_dir),
            workers=workers,
            token=token,
            max_queued=options.max_queued,
            database=database,
        )
    )
    return uvicorn.Server(uvicorn.Config(app, host=options.host, port=options.port))


def run_server(server: Any) -> None:
    """Run a server until Ctrl-C or SIGTERM, then stop its workers (a job running is
    queued again) and return.

    Parameters
    ----------
    server : uvicorn.Server
        From :func:`prepare`.
    """
    from symbiosis import interrupt

    # uvicorn handles the signals while it serves and raises them again when it has shut
    # down: here they are only recorded, so a stopped server ends normally
    with interrupt.handle_signals(), interrupt.deferred():
        server.run()


def serve(options: ServeOptions) -> None:
    """Run the web app until stopped (Ctrl-C or SIGTERM): uvicorn, the supervisor and its
    workers.

    Parameters
    ----------
    options : ServeOptions
        Where to listen, the data folder, the workers and the token.

    Raises
    ------
    InputError
        Invalid options (:func:`checked_token`), before anything starts.
    """
    run_server(prepare(options))


__all__ = [
    "DATABASE_VAR",
    "TOKEN_VAR",
    "ServeOptions",
    "checked_token",
    "is_loopback",
    "prepare",
    "run_server",
    "serve",
]

"""The web app's REST API (FastAPI): the routes, the token check and the error answers.

Routes (the OpenAPI schema at ``/docs`` documents them):

* ``GET /api/scenarios``: the bundled scenarios (Guizhou first), then the uploaded ones;
* ``GET /api/runs``: the latest jobs; ``POST /api/runs`` ``{"scenario": NAME or YAML text,
  "overrides": {...}, "time_limit": s}`` -> 202 ``{"id": ...}`` (429 when the queue is full);
* ``GET /api/runs/{id}`` (status, stage, gap, incumbent ...), ``DELETE /api/runs/{id}``
  (cancel: the incumbent is kept, as Ctrl-C does);
* ``GET /api/runs/{id}/events``: its progress as server-sent events until it ends
  (:mod:`symbiosis.web.events`);
* ``GET /api/runs/{id}/summary``, ``/flows.geojson``, ``/facilities.geojson`` (the map
  layers of :mod:`symbiosis.maps`), ``/files`` and ``/download/{file}`` (a file of the run
  folder, or ``map.gpkg``, ``map.png``, ``report.xlsx`` made on first request:
  :mod:`symbiosis.web.downloads`; nothing else);
* ``GET /api/compare?runs=a,b``: :func:`symbiosis.compare.compare_runs` as JSON.

A request body larger than the limit is refused 413, whether it says its length or comes in
chunks (:class:`BodyLimit`). Invalid input is answered 422 with the problems in the command
line's words (file, row, column, value, what is allowed:
:class:`~symbiosis.errors.InputError`); anything unexpected 500 with one plain sentence
(the traceback goes to the server's log, never to the client). With a token (``--token`` /
``SYMBIOSIS_TOKEN``) every ``/api`` call needs ``Authorization: Bearer TOKEN``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from symbiosis.errors import InputError, Problem
from symbiosis.web.downloads import MADE, Maker
from symbiosis.web.events import job_events
from symbiosis.web.jobs import FINISHED, Job, JobSpec, JobStore, open_store
from symbiosis.web.scenarios import (
    MAX_SCENARIO_BYTES,
    Places,
    bundled,
    check_size,
    resolve_request,
)
from symbiosis.web.supervisor import Supervisor
from symbiosis.web.worker import WorkerConfig, problem_dicts

log = logging.getLogger("symbiosis.web")

#: jobs waiting at most (more are refused with 429)
MAX_QUEUED = 100
#: seconds between the supervisor's looks at its workers
SUPERVISE_SECONDS = 0.5
#: the answer to an unexpected error: one sentence, no traceback
INTERNAL_ERROR = "internal error: the server could not answer this request (see its log)"


@dataclass(frozen=True)
class AppOptions:
    """How the app runs (``symbiosis serve``'s options, less host and port).

    Attributes
    ----------
    data_dir : Path
        Where the job table and the run folders are (``--data``).
    workers : int
        Worker processes (``--workers``); 0: none started (jobs stay queued; tests).
    token : str or None
        The bearer token every ``/api`` call must carry (None: none asked).
    max_queued : int
        Jobs waiting at most.
    max_scenario_bytes : int
        Size limit of a scenario sent as text.
    places : Places or None
        Where scenarios are and what they may read (None: the source tree's, with
        ``data_dir``).
    database : str or None
        The job table's PostgreSQL URL (``--database``); None: SQLite in ``data_dir``.
    """

    data_dir: Path
    workers: int = 1
    token: str | None = None
    max_queued: int = MAX_QUEUED
    max_scenario_bytes: int = MAX_SCENARIO_BYTES
    places: Places | None = None
    database: str | None = None

    def where(self) -> Places:
        """The places scenarios are found and may read.

        Returns
        -------
        Places
            :attr:`places`, or the source tree's with :attr:`data_dir`.
        """
        return self.places or Places.default(self.data_dir)


@dataclass
class _State:
    options: AppOptions
    store: JobStore
    places: Places
    supervisor: Supervisor | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    maker: Maker = field(default_factory=Maker)


class RunRequest(BaseModel):
    """``POST /api/runs``: what to run."""

    scenario: str = Field(
        description="A scenario's name (GET /api/scenarios) or a scenario's YAML text.",
        min_length=1,
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Scenario keys merged over the scenario's, e.g. "
        '{"target": {"total": 80000000}, "limits": {"max_new_facilities": 8}}.',
    )
    time_limit: float | None = Field(
        default=None, gt=0, description="Seconds for the solve (as --time-limit)."
    )


def _problems_answer(exc: InputError) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={"detail": exc.report(), "what": exc.what, "problems": problem_dicts(exc)},
    )


def _request_problems(exc: RequestValidationError) -> InputError:
    """FastAPI's validation errors as problems in the command line's words."""
    problems = []
    for error in exc.errors():
        where = [str(part) for part in error.get("loc", ()) if part != "body"]
        name = ".".join(where) or "body"
        problems.append(Problem("request", f"{name}: {error.get('msg', 'invalid')}"))
    return InputError(problems, "input")


def _not_found(what: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": what})


def _state(request: Request) -> _State:
    state: _State = request.app.state.symbiosis
    return state


def _check_token(request: Request) -> None:
    """The bearer token, when the server has one."""
    token = _state(request).options.token
    if not token:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(value.strip(), token):
        raise _Unauthorized()


class _Unauthorized(Exception):
    pass


def _run_folder(state: _State, job_id: str) -> tuple[Job | None, Path | None]:
    """A job and its run folder (None while it has none)."""
    job = state.store.get(job_id)
    if job is None:
        return None, None
    folder = state.options.data_dir / "runs" / job.id
    return job, folder if (folder / "summary.json").is_file() else None


def _no_folder(job_id: str, job: Job | None) -> JSONResponse:
    if job is None:
        return _not_found(f"no run {job_id!r}")
    return JSONResponse(
        status_code=404,
        content={"detail": f"run {job.id} has no result (status {job.status})"},
    )


def _layer(folder: Path, layer: str, year: int | None) -> str:
    from symbiosis.maps.data import build_map_data

    data = build_map_data(folder, with_candidates=False, year=year)
    frame = data.layer(layer)
    if frame is None:
        return json.dumps({"type": "FeatureCollection", "features": []})
    return str(frame.to_json(drop_id=True))


def _routes(api: APIRouter) -> None:  # noqa: C901 (one small closure per route)
    @api.get("/scenarios", summary="The bundled scenarios (Guizhou first), then uploaded ones")
    def scenarios(request: Request) -> list[dict[str, Any]]:
        state = _state(request)
        found = bundled(state.places)
        names = {entry["name"] for entry in found}
        for name, job in state.store.uploaded().items():
            if name not in names:
                found.append({"name": name, "file": "", "source": "uploaded", "job": job.id})
        return found

    @api.get("/runs", summary="The latest runs, newest first")
    def runs(request: Request, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
        return [job.as_dict() for job in _state(request).store.jobs(limit)]

    @api.post("/runs", status_code=202, summary="Queue a run; 429 when the queue is full")
    def submit(request: Request, body: RunRequest) -> Any:
        state = _state(request)
        uploaded = {name: job.spec.scenario for name, job in state.store.uploaded().items()}
        check_size(body.scenario, state.options.max_scenario_bytes)
        resolved = resolve_request(body.scenario, body.overrides, state.places, uploaded)
        spec = JobSpec(
            name=resolved.scenario.name,
            source=resolved.source,
            scenario=resolved.text,
            base_dir=str(resolved.base_dir),
            overrides=body.overrides,
            time_limit=body.time_limit,
        )
        job = state.store.submit(spec, state.options.max_queued)
        if job is None:
            return JSONResponse(
                status_code=429,
                headers={"Retry-After": "10"},
                content={
                    "detail": f"the queue is full ({state.options.max_queued} runs waiting); "
                    "try again later"
                },
            )
        return {"id": job.id, "status": job.status, "url": f"/api/runs/{job.id}"}

    @api.get("/runs/{job_id}", summary="A run's status, stage, gap and incumbent")
    def status(request: Request, job_id: str) -> Any:
        job = _state(request).store.get(job_id)
        return _not_found(f"no run {job_id!r}") if job is None else job.as_dict()

    @api.delete("/runs/{job_id}", status_code=202, summary="Cancel a run (its incumbent kept)")
    def cancel(request: Request, job_id: str) -> Any:
        state = _state(request)
        before = state.store.get(job_id)
        if before is None:
            return _not_found(f"no run {job_id!r}")
        if before.status in FINISHED:
            return JSONResponse(
                status_code=409,
                content={"detail": f"run {job_id} has ended (status {before.status})"},
            )
        job = state.store.cancel(job_id)
        return job.as_dict() if job is not None else _not_found(f"no run {job_id!r}")

    @api.get(
        "/runs/{job_id}/events",
        summary="A run's progress as server-sent events (text/event-stream) until it ends",
        response_class=StreamingResponse,
    )
    async def events(request: Request, job_id: str) -> Any:
        store = _state(request).store
        if await asyncio.to_thread(store.get, job_id) is None:
            return _not_found(f"no run {job_id!r}")
        return StreamingResponse(
            job_events(store, job_id, request.is_disconnected),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @api.get("/runs/{job_id}/summary", summary="The run's summary.json")
    def summary(request: Request, job_id: str) -> Any:
        job, folder = _run_folder(_state(request), job_id)
        if folder is None:
            return _no_folder(job_id, job)
        return json.loads((folder / "summary.json").read_text(encoding="utf-8"))

    @api.get("/runs/{job_id}/flows.geojson", summary="The flows as GeoJSON (EPSG:4326)")
    def flows(request: Request, job_id: str, year: int | None = None) -> Any:
        job, folder = _run_folder(_state(request), job_id)
        if folder is None:
            return _no_folder(job_id, job)
        return Response(_layer(folder, "flows", year), media_type="application/geo+json")

    @api.get("/runs/{job_id}/facilities.geojson", summary="The facilities as GeoJSON")
    def facilities(request: Request, job_id: str, year: int | None = None) -> Any:
        job, folder = _run_folder(_state(request), job_id)
        if folder is None:
            return _no_folder(job_id, job)
        return Response(_layer(folder, "facilities", year), media_type="application/geo+json")

    @api.get("/runs/{job_id}/files", summary="The files of the run folder")
    def files(request: Request, job_id: str) -> Any:
        job, folder = _run_folder(_state(request), job_id)
        if folder is None:
            return _no_folder(job_id, job)
        return sorted(_downloadable(folder) | set(MADE))

    @api.get(
        "/runs/{job_id}/download/{name}",
        summary="One file of the run folder, or map.gpkg, map.png, report.xlsx (made once)",
    )
    def download(request: Request, job_id: str, name: str) -> Any:
        state = _state(request)
        job, folder = _run_folder(state, job_id)
        if folder is None:
            return _no_folder(job_id, job)
        if name in MADE:
            path, why = state.maker.made(folder, name)
            if why is not None:
                return JSONResponse(status_code=422, content={"detail": why})
            return FileResponse(path, filename=name)
        if name not in _downloadable(folder):
            return _not_found(f"run {job_id} has no file {name!r}")
        return FileResponse(folder / name, filename=name)

    @api.get("/compare", summary="Compare runs: KPIs side by side and the explanation")
    def compare(request: Request, runs: str = Query(..., description="ids: a,b[,c...]")) -> Any:
        return _compare(_state(request), [r.strip() for r in runs.split(",") if r.strip()])


def _downloadable(folder: Path) -> set[str]:
    """The names of the regular files in a run folder (no link, no hidden file)."""
    return {
        entry.name
        for entry in folder.iterdir()
        if not entry.name.startswith(".") and entry.is_file() and not entry.is_symlink()
    }


def _compare(state: _State, ids: list[str]) -> dict[str, Any]:
    from symbiosis.compare import compare_runs

    problems = []
    if len(ids) < 2:
        problems.append(Problem("runs", "give two run ids or more, e.g. runs=a,b"))
    folders = []
    for job_id in ids:
        job, folder = _run_folder(state, job_id)
        if folder is None:
            why = "no such run" if job is None else f"has no result (status {job.status})"
            problems.append(Problem("runs", why, value=job_id))
        folders.append(folder)
    if problems:
        raise InputError(problems, "run folders")
    comparison = compare_runs([f for f in folders if f is not None])
    # the tables without the server's paths (runs are named by their ids)
    tables = {
        name: json.loads(
            frame.drop(columns=["folder"], errors="ignore").to_json(
                orient="records", date_format="iso"
            )
        )
        for name, frame in comparison.tables().items()
    }
    return {"runs": ids, "explanation": list(comparison.explanation), "tables": tables}


class BodyLimit:
    """ASGI middleware refusing a request body over ``limit`` bytes with 413, before the
    route reads it: at once when its ``Content-Length`` says so (the server then allows no
    more), and for a body without one (``Transfer-Encoding: chunked``) as soon as the chunks
    read pass the limit; such a body, read whole within the limit, is given to the app as
    received.

    Parameters
    ----------
    app : ASGI app
        The app behind it.
    limit : int
        The largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a request on, or answer 413.

        Parameters
        ----------
        scope, receive, send
            The ASGI connection.
        """
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        size = headers.get(b"content-length", b"").decode("latin-1").strip()
        if size.isdigit():
            if int(size) > self.limit:
                await self._refuse(send, f"request body of {int(size):,} bytes is too large")
                return
            await self.app(scope, receive, send)
            return
        read: list[Message] = []
        total = 0
        while True:
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                break
            total += len(message.get("body", b""))
            if total > self.limit:
                await self._refuse(
                    send, f"request body of more than {self.limit:,} bytes is too large"
                )
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return read.pop(0) if read else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Send, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _supervise(supervisor: Supervisor) -> None:
    while True:
        await asyncio.sleep(SUPERVISE_SECONDS)
        for _pid, reason in supervisor.check():
            log.warning("%s; a new worker replaced it", reason)


def create_app(options: AppOptions) -> FastAPI:
    """The web app.

    Parameters
    ----------
    options : AppOptions
        Its folder, workers, token and limits.

    Returns
    -------
    FastAPI
        The ASGI app; its lifespan starts the supervisor and the workers (and re-queues
        the jobs a stopped server left running), and stops them.
    """
    data_dir = Path(options.data_dir).resolve()
    store = open_store(data_dir, options.database)  # an unusable database: nothing made
    data_dir.mkdir(parents=True, exist_ok=True)
    options = AppOptions(**{**options.__dict__, "data_dir": data_dir})
    places = options.where()
    state = _State(options, store, places)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if options.workers > 0:
            config = WorkerConfig(data_dir=data_dir, places=places, database=options.database)
            state.supervisor = Supervisor(state.store, config, options.workers)
            requeued = state.supervisor.start()
            if requeued:
                log.warning("queued again (left running by a server that stopped): %s", requeued)
            state.tasks.append(asyncio.create_task(_supervise(state.supervisor)))
        try:
            yield
        finally:
            for task in state.tasks:
                task.cancel()
            if state.supervisor is not None:
                await asyncio.to_thread(state.supervisor.stop)
            state.maker.close()

    app = FastAPI(
        title="symbiosis",
        summary="Optimise industrial-symbiosis networks: run scenarios, follow them, read "
        "their answers.",
        lifespan=lifespan,
    )
    app.state.symbiosis = state

    @app.exception_handler(InputError)
    async def invalid(request: Request, exc: InputError) -> JSONResponse:
        return _problems_answer(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problems_answer(_request_problems(exc))

    @app.exception_handler(_Unauthorized)
    async def unauthorized(request: Request, exc: _Unauthorized) -> JSONResponse:
        return JSONResponse(
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
            content={"detail": "a bearer token is required: Authorization: Bearer TOKEN"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": INTERNAL_ERROR})

    app.add_middleware(BodyLimit, limit=2 * options.max_scenario_bytes + 65536)

    api = APIRouter(prefix="/api", dependencies=[Depends(_check_token)])
    _routes(api)
    app.include_router(api)
    from symbiosis.web.pages import mount_pages  # the browser's pages (symbiosis.web.pages)

    mount_pages(app, [Depends(_check_token)])
    return app


__all__ = ["INTERNAL_ERROR", "MAX_QUEUED", "AppOptions", "BodyLimit", "RunRequest", "create_app"]

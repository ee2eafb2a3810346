"""The web app's pages: a small static front end on the REST API (issue 14, "The pages").

Four pages, plain HTML, CSS and JavaScript modules under ``symbiosis/web/static`` (no build
step, nothing from another host: Leaflet is served from the installed ``xstatic-leaflet``):

* ``/``: the scenario page (the bundled scenarios, Guizhou first, and the uploaded ones;
  targets, limits, overrides and time limit as form fields, or a scenario's YAML pasted or
  uploaded) and the latest runs;
* ``/runs/{id}``: the run page (status, stage, gap and incumbent as the run goes; cancel);
* ``/runs/{id}/result``: the result page (the map of the flows by stream with the projects
  built highlighted, the KPIs, the projects table, the downloads);
* ``/compare?runs=a,b``: the compare page (KPIs side by side and the written explanation).

The pages hold no data: their scripts read it from ``/api`` (with the bearer token the user
gives when the server asks for one) and put every value from data into the page as text
(``textContent``), never as HTML. Their words are marked here and translated by the
project's gettext catalogs: ``/ui/strings.json?lang=zh`` gives them in one language. One
more API route serves what the map needs beside the flows and facilities:
``GET /api/runs/{id}/map.json`` (the streams with their colours and names, the province
outline and the prefecture seats).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.params import Depends
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from symbiosis.compare import OVERVIEW_COLUMNS
from symbiosis.errors import InputError, Problem
from symbiosis.i18n import LANGUAGES, N_, gettext, language_problem, use_language
from symbiosis.report.labels import COLUMNS, KPIS

#: the folder of the pages and their scripts and styles
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: what a page may load and where it may send: this server only (Leaflet's CSS images are
#: files of its own; nothing inline)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

#: the pages' words: key -> English (translated by the catalogs; ``/ui/strings.json``)
STRINGS: dict[str, str] = {
    # header and navigation
    "app_title": N_("Industrial symbiosis planner"),
    "nav_scenarios": N_("Scenarios"),
    "nav_compare": N_("Compare runs"),
    "nav_api": N_("API"),
    "language": N_("Language"),
    "token": N_("Access token"),
    "token_needed": N_("This server asks for an access token: enter it to go on."),
    "save": N_("Save"),
    # scenario page
    "new_run": N_("New run"),
    "scenario": N_("Scenario"),
    "bundled": N_("bundled"),
    "uploaded": N_("uploaded"),
    "targets": N_("Targets"),
    "target_total": N_("Total target (Mt/yr)"),
    "target_co2": N_("CO2 avoided at least (Mt/yr)"),
    "limits": N_("Limits"),
    "max_projects": N_("Most new projects"),
    "capex_budget": N_("Investment budget (M CNY)"),
    "overrides": N_("Overrides"),
    "forbid": N_("Never build (project ids)"),
    "force_build": N_("Always build (project ids)"),
    "scale": N_("Scale columns (one per line: table.column = factor)"),
    "solver": N_("Solver"),
    "time_limit": N_("Time limit (s)"),
    "mip_gap": N_("Stop at relative gap"),
    "as_scenario": N_("as in the scenario"),
    "ids_hint": N_("separated by commas or spaces"),
    "yaml": N_("Or a scenario of your own (YAML)"),
    "yaml_hint": N_(
        "Paste a scenario's YAML or choose a file; when given it is run instead of the "
        "scenario chosen above, with the fields above over it."
    ),
    "yaml_file": N_("YAML file"),
    "run": N_("Start the run"),
    "submitting": N_("Sending…"),
    "latest_runs": N_("Latest runs"),
    "no_runs": N_("No runs yet."),
    "refresh": N_("Refresh"),
    "compare_selected": N_("Compare the runs selected"),
    "select_two": N_("Select two runs or more."),
    "bad_number": N_("{field}: a number is expected, got {value}"),
    "bad_scale": N_("line {line}: write table.column = factor, e.g. facilities.capex = 1.2"),
    # run statuses and columns
    "id": N_("Id"),
    "name": N_("Name"),
    "status": N_("Status"),
    "stage": N_("Stage"),
    "created": N_("Created"),
    "result": N_("Result"),
    "status_queued": N_("queued"),
    "status_running": N_("running"),
    "status_done": N_("done"),
    "status_failed": N_("failed"),
    "status_cancelled": N_("cancelled"),
    # a run's result (summary.json's status)
    "status_optimal": N_("optimal"),
    "status_feasible": N_("feasible"),
    "status_infeasible": N_("infeasible"),
    "status_no_solution": N_("no_solution"),
    "status_interrupted": N_("interrupted"),
    # run page
    "run_title": N_("Run"),
    "stages": N_("Stages"),
    "stage_read": N_("read the case"),
    "stage_network": N_("build the network"),
    "stage_model_data": N_("prepare the model data"),
    "stage_reduce": N_("reduce the model"),
    "stage_build_model": N_("build the model"),
    "stage_warm_start": N_("warm start"),
    "stage_solve": N_("solve"),
    "stage_results": N_("read the solution"),
    "stage_shadow_price": N_("shadow prices"),
    "stage_diagnose": N_("diagnose"),
    "stage_write": N_("write the results"),
    "gap": N_("Gap"),
    "incumbent": N_("Best solution so far"),
    "bound": N_("Bound"),
    "elapsed": N_("Elapsed"),
    "cancel": N_("Cancel the run"),
    "cancelling": N_("Cancelling: the best solution found is kept…"),
    "show_result": N_("Show the result"),
    "error": N_("Error"),
    "problems": N_("Problems"),
    "waiting": N_("Waiting for a worker…"),
    # result page
    "result_title": N_("Result"),
    "kpis": N_("Key figures"),
    "total_cost": N_("Total annual cost"),
    "delivered_target": N_("Delivered toward the target"),
    "co2_avoided": N_("CO2 avoided"),
    "capex_built": N_("Investment in the projects built"),
    "projects_built": N_("Projects built"),
    "solver_status": N_("Solver status"),
    "map": N_("Map"),
    "legend": N_("Legend"),
    "built_projects": N_("Projects built (new)"),
    "existing_plants": N_("Existing plants"),
    "province": N_("Province outline"),
    "projects": N_("Projects built"),
    "project": N_("Project"),
    "tech": N_("Technology"),
    "prefecture": N_("Prefecture"),
    "capacity": N_("Capacity per year"),
    "intake": N_("Intake per year"),
    "capex": N_("Investment"),
    "co2_avoided_yr": N_("CO2 avoided (t/yr)"),
    "downloads": N_("Downloads"),
    "no_result": N_("This run has no result yet."),
    "flows_count": N_("{n} flows drawn"),
    "from": N_("From"),
    "to": N_("To"),
    "shipped": N_("Shipped per year"),
    "mode": N_("Mode"),
    "targets_met": N_("Targets"),
    # a target's name: the total, a stream (by its name), a prefecture; of a year
    "target_name_total": N_("total"),
    "target_name_prefecture": N_("prefecture {name}"),
    "target_name_year": N_("{target} ({year})"),
    "met": N_("met"),
    "not_met": N_("not met"),
    # compare page
    "compare_title": N_("Compare runs"),
    "compare_pick": N_("Runs to compare"),
    "compare_go": N_("Compare"),
    "explanation": N_("What differs, and why"),
    "overview": N_("Overview"),
    "kpi_table": N_("KPIs side by side"),
    "column_change_run": N_("Change: {run}"),
    # units (the pages format numbers in the chosen language)
    "unit_mt_yr": N_("Mt/yr"),
    "unit_m_cny_yr": N_("M CNY/yr"),
    "unit_m_cny": N_("M CNY"),
    "unit_t_yr": N_("t/yr"),
    "unit_s": N_("s"),
    "loading": N_("Loading…"),
    "request_failed": N_("The server answered {status}: {detail}"),
}


#: the compare page's columns (GET /api/compare's tables) in the reports' words
#: (:mod:`symbiosis.report.labels`, their one owner): ``column_<column>`` (``change %``:
#: ``column_change_pct``), and the KPIs' names ``kpi_<kpi>``
COMPARE_COLUMNS: tuple[str, ...] = (
    *OVERVIEW_COLUMNS,
    "year",
    "kpi",
    "key",
    "unit",
    "change %",
)
STRINGS.update(
    {f"column_{column.replace(' %', '_pct')}": COLUMNS[column] for column in COMPARE_COLUMNS}
)
STRINGS.update({f"kpi_{kpi.replace(' ', '_')}": words for kpi, words in KPIS.items()})


def page_strings(lang: str) -> dict[str, str]:
    """The pages' words in one language.

    Parameters
    ----------
    lang : str
        One of :data:`symbiosis.i18n.LANGUAGES`.

    Returns
    -------
    dict of str to str
        Key -> text (English where the catalog has no translation), and ``lang``.
    """
    with use_language(lang):
        words = {key: gettext(text) for key, text in STRINGS.items()}
    return {**words, "lang": lang}


def _leaflet_dir() -> Path | None:
    """Where the installed xstatic-leaflet keeps leaflet.js and leaflet.css (None: not
    installed)."""
    try:
        from xstatic.pkg import leaflet
    except ImportError:  # pragma: no cover - the maps extra installs it
        return None
    return Path(leaflet.BASE_DIR)


def _page(name: str) -> FileResponse:
    return FileResponse(
        STATIC_DIR / name,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


def _map_json(request: Request, job_id: str) -> Any:
    """The streams (colours, names), the province outline and the prefecture seats of a
    finished run (``GET /api/runs/{id}/map.json``)."""
    from symbiosis.maps.data import build_map_data

    state = request.app.state.symbiosis
    job = state.store.get(job_id)
    folder = state.options.data_dir / "runs" / job_id if job is not None else None
    if job is None or folder is None or not (folder / "summary.json").is_file():
        detail = f"no run {job_id!r}" if job is None else f"run {job_id} has no result"
        return JSONResponse(status_code=404, content={"detail": detail})
    data = build_map_data(folder, with_candidates=False)
    streams = [
        {
            "stream": str(row["stream"]),
            "name": str(row["name"]),
            "name_zh": str(row.get("name_zh") or ""),
            "unit": str(row["unit"]),
            "colour": str(row["colour"]),
        }
        for _, row in data.streams.iterrows()
    ]
    layers = {}
    for layer in ("province", "prefecture_seats"):
        frame = data.layer(layer)
        layers[layer] = json.loads(frame.to_json(drop_id=True)) if frame is not None else None
    return {"streams": streams, **layers}


def request_language(accept_language: str) -> str:
    """The language an API answer is written in, from the request's ``Accept-Language``.

    Parameters
    ----------
    accept_language : str
        The header (``zh-CN,zh;q=0.9,en;q=0.8``; the pages send ``zh`` or ``en``).

    Returns
    -------
    str
        ``zh`` when the first language asked is Chinese, else ``en`` (the code's English).
    """
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return "zh" if first.split("-", 1)[0] == "zh" else LANGUAGES[0]


def mount_pages(app: FastAPI, api_dependencies: list[Depends]) -> None:
    """Add the pages, their static files, their words and ``/api/runs/{id}/map.json``.

    Parameters
    ----------
    app : FastAPI
        The app of :func:`symbiosis.web.app.create_app`.
    api_dependencies : list
        The dependencies of its ``/api`` routes (the bearer token's check), given to
        ``map.json`` too; the pages, scripts and words carry no data and need none.
    """
    pages = APIRouter(include_in_schema=False)

    @pages.get("/")
    def scenario_page() -> FileResponse:
        return _page("index.html")

    @pages.get("/runs/{job_id}")
    def run_page(job_id: str) -> FileResponse:
        return _page("run.html")

    @pages.get("/runs/{job_id}/result")
    def result_page(job_id: str) -> FileResponse:
        return _page("result.html")

    @pages.get("/compare")
    def compare_page() -> FileResponse:
        return _page("compare.html")

    @pages.get("/ui/strings.json")
    def strings(lang: str = Query("en", description="en or zh")) -> Response:
        problem = language_problem(lang)
        if problem is not None:
            raise InputError([Problem("lang", problem, value=lang)], "input")
        body = json.dumps(page_strings(lang.strip().lower()), ensure_ascii=False)
        return Response(body, media_type="application/json")

    api = APIRouter(prefix="/api", dependencies=api_dependencies)
    api.add_api_route(
        "/runs/{job_id}/map.json",
        _map_json,
        methods=["GET"],
        summary="What the map needs beside flows and facilities: streams with their colours "
        "and names, the province outline, the prefecture seats",
    )
    app.include_router(pages)
    app.include_router(api)

    @app.middleware("http")
    async def language(request: Request, call_next: Any) -> Any:
        # the API's words (problems, the comparison's explanation) in the reader's language
        with use_language(request_language(request.headers.get("accept-language", ""))):
            return await call_next(request)

    leaflet = _leaflet_dir()
    if leaflet is not None:
        app.mount("/vendor/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "STATIC_DIR",
    "STRINGS",
    "mount_pages",
    "page_strings",
    "request_language",
]

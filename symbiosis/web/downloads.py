"""The downloads a run folder does not hold until asked for: the GeoPackage and the print map
(:func:`symbiosis.maps.export_map`, as ``symbiosis map`` writes them) and the Excel report
(:func:`symbiosis.report.write_report` of :func:`symbiosis.compare.compare_runs` on the one
run, as ``symbiosis compare RUN --out report.xlsx`` writes it).

``GET /api/runs/{id}/download/{file}`` makes one of :data:`MADE` on first request, in English
(files in run folders are not translated), written aside and moved into the run folder whole
by the library's output rule (:mod:`symbiosis.files`), then serves it; later requests serve
the file made (the run folder of a finished job does not change). Only these names are
made; any other name is a file the run wrote, or 404.

They are made in a process of their own (:class:`Maker`, one spawned process, started on
the first request), never in the web process: drawing a map takes seconds of CPU, and the
web process must answer status calls quickly meanwhile.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

#: the files made on demand, by name: what makes each (a map format, or the report)
MADE: dict[str, str] = {"map.gpkg": "gpkg", "map.png": "png", "report.xlsx": "xlsx"}
#: seconds a download may take to make before the request fails
MAKE_SECONDS = 600.0


def make_download(folder: Path, name: str) -> str | None:
    """Write one of :data:`MADE` into a run folder (runs in the maker process).

    Parameters
    ----------
    folder : Path
        The run folder.
    name : str
        A key of :data:`MADE`.

    Returns
    -------
    str or None
        None when written; else why it could not be (invalid input, in the command line's
        words: the run's case is gone, say).
    """
    from symbiosis.errors import InputError
    from symbiosis.i18n import use_language

    target = Path(folder) / name
    try:
        with use_language("en"):
            if MADE[name] == "xlsx":
                from symbiosis.compare import compare_runs
                from symbiosis.report import write_report

                write_report(compare_runs([folder]), target)
            else:
                from symbiosis.maps import MapOptions, export_map

                export_map(folder, target, MADE[name], MapOptions())
    except InputError as exc:
        return exc.report()
    return None


class Maker:
    """Makes downloads in one spawned process, one at a time; a file already made is not
    made again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def made(self, folder: Path, name: str) -> tuple[Path, str | None]:
        """The file ``name`` of a run folder, made first if missing.

        Parameters
        ----------
        folder : Path
            The run folder (of a job that has ended).
        name : str
            A key of :data:`MADE`.

        Returns
        -------
        tuple of (Path, str or None)
            The file, and None; or why it could not be made.
        """
        target = Path(folder) / name
        with self._lock:  # one at a time: a second request for it waits, then serves it
            if target.is_file():
                return target, None
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            why = self._pool.submit(make_download, Path(folder), name).result(MAKE_SECONDS)
        return target, why

    def close(self) -> None:
        """Stop the maker process (the server is stopping)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


__all__ = ["MADE", "MAKE_SECONDS", "Maker", "make_download"]

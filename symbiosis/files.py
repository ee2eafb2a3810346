"""Writing outputs safely: the one place that decides whether a path may be written.

The rule, for every command that writes (run, map, compare, curve, pareto, sweep, case
export, generate) and for the Python API:

* a target that does not exist is created;
* a target that is a symbiosis output **of the same kind** (a folder whose ``manifest.json``
  says so, a file that carries symbiosis's mark) and holds nothing else is replaced
  atomically: the new one is written aside and swapped in only when complete, the old one
  kept until then;
* anything else is refused (:class:`OutputRefused`, exit 2) with a message naming the path
  and the way out: another path, or ``overwrite=True`` (``--overwrite``), which writes the new
  files *beside* what is there and still never deletes or replaces a file symbiosis did not
  write.

Outputs appear whole or not at all. Each is written in a hidden staging folder beside the
target (``.<name>.symbiosis-<pid>.tmp``) and moved in by ``rename`` (a folder that replaces
another is swapped with Linux's ``renameat2(RENAME_EXCHANGE)``, so the target is never
missing). A small watcher process removes the staging folder should this process die
(SIGKILL included) before it has cleaned up, and restores the previous output if the
process died between the two renames of the fallback swap.

How an output is marked as symbiosis's:

============  ================================================================
folder        ``manifest.json`` with ``symbiosis_outputs: [{kind, files}]``
              (run folders written before this rule: ``symbiosis_run: 1``)
``.gpkg``     a table ``symbiosis_output (kind, version, written)``
``.html``     a trailing comment ``<!-- symbiosis-output: KIND -->``
``.kml``      the same comment
``.png``      a ``tEXt`` chunk ``symbiosis-output`` = KIND
``.xlsx``     the workbook's keywords ``symbiosis-output:KIND``
other files   a sidecar ``<stem>.manifest.json`` listing the files written
============  ================================================================
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from symbiosis.errors import InputError, Problem

MANIFEST = "manifest.json"
#: the files of a run folder written before folders listed their files
RUN_FILES = (
    "summary.json",
    "flows.csv",
    "facilities.csv",
    "unused.csv",
    "kpis.csv",
    "manifest.json",
)
MARK_KEY = "symbiosis-output"
STAGING_INFIX = ".symbiosis-"
STAGING_SUFFIX = ".tmp"

Writer = Callable[[Path], object]

#: The kinds of output symbiosis writes (what its mark says); one kind never replaces another.
RUN_KIND = "run"
CURVE_KIND = "curve"
PARETO_KIND = "pareto"
SWEEP_KIND = "sweep"
REPORT_HTML_KIND = "report-html"
REPORT_XLSX_KIND = "report-xlsx"
REPORT_CSV_KIND = "report-csv"
CASE_GPKG_KIND = "case-gpkg"
CASE_FOLDER_KIND = "case-folder"
GENERATED_KIND = "generated-case"


def map_kind(fmt: str) -> str:
    """The kind of a map export, as its mark records it.

    Parameters
    ----------
    fmt : str
        The export's format: ``gpkg``, ``geojson``, ``shp``, ``kml``, ``html`` or ``png``.

    Returns
    -------
    str
        ``map-<fmt>``, e.g. ``map-gpkg``: maps of different formats never replace each other.
    """
    return f"map-{fmt}"


# --------------------------------------------------------------------------------------------
# Small helpers: JSON, checksums
# --------------------------------------------------------------------------------------------
def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dump_json(data: Any) -> str:
    """JSON text as every JSON file symbiosis writes (summary, manifest, sidecars) holds it.

    Parameters
    ----------
    data : Any
        JSON-able data; numpy integers, floats and booleans and :class:`~pathlib.Path`
        values are allowed too (written as numbers, booleans and strings).

    Returns
    -------
    str
        Indented by 2, non-ASCII characters kept as they are, ending in a newline.

    Raises
    ------
    TypeError
        For a value of any other type that JSON cannot hold.
    """
    return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file's bytes (read in 1 MiB chunks), for manifests.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str
        64 lowercase hex digits.

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def symbiosis_version() -> str:
    """The installed symbiosis version (for manifests and marks).

    Returns
    -------
    str
        Its version, ``unknown`` when it is not installed.
    """
    try:
        return metadata.version("symbiosis")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed here
        return "unknown"


# --------------------------------------------------------------------------------------------
# What is at a path
# --------------------------------------------------------------------------------------------
class OutputRefused(InputError):
    """A target that symbiosis may not write (exit 2, like any invalid input).

    Parameters
    ----------
    path : Path
        The target refused (the problem's file).
    why : str
        What is there and the way out (another path, ``--overwrite``).
    """

    def __init__(self, path: Path, why: str):
        super().__init__([Problem(str(path), why)], "output")


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def folder_outputs(folder: Path) -> list[dict[str, Any]] | None:
    """The outputs a folder's manifest says symbiosis wrote there.

    Parameters
    ----------
    folder : Path
        The folder; its ``manifest.json`` is read (an unreadable one counts as none).

    Returns
    -------
    list of dict or None
        One ``{"kind": str, "files": list of str}`` per output listed under
        ``symbiosis_outputs``; a run folder written before that list (``symbiosis_run: 1``)
        gives one ``run`` output with :data:`RUN_FILES`. None when the folder has no
        symbiosis manifest.
    """
    data = _read_manifest(folder)
    if data is None:
        return None
    entries = data.get("symbiosis_outputs")
    if isinstance(entries, list):
        return [
            {"kind": str(e.get("kind")), "files": [str(f) for f in e.get("files") or []]}
            for e in entries
            if isinstance(e, dict)
        ]
    if data.get("symbiosis_run"):
        return [{"kind": "run", "files": list(RUN_FILES)}]
    return None


def _png_text(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        with path.open("rb") as handle:
            if handle.read(8) != b"\x89PNG\r\n\x1a\n":
                return out
            while True:
                head = handle.read(8)
                if len(head) < 8:
                    return out
                length, kind = struct.unpack(">I4s", head)
                if kind == b"tEXt" and length < 1 << 16:
                    key, _, value = handle.read(length).partition(b"\0")
                    out[key.decode("latin-1")] = value.decode("latin-1")
                    handle.seek(4, os.SEEK_CUR)
                elif kind == b"IEND":
                    return out
                else:
                    handle.seek(length + 4, os.SEEK_CUR)
    except OSError:
        return out


def _tail(path: Path, size: int = 4096) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - size))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def file_kind(path: Path) -> str | None:
    """The kind of symbiosis output a file is, by the mark symbiosis writes into it (the
    table in the module docstring).

    Parameters
    ----------
    path : Path
        The file. ``.gpkg``, ``.html``/``.htm``, ``.kml``, ``.png`` and ``.xlsx`` files are
        read for their mark; any other file is looked up in its sidecar
        ``<stem>.manifest.json``.

    Returns
    -------
    str or None
        The kind (``run``, ``map-gpkg``, ``report-html`` ...); None for a file symbiosis did
        not write, or one that cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                row = db.execute("SELECT kind FROM symbiosis_output LIMIT 1").fetchone()
            return str(row[0]) if row else None
        except sqlite3.Error:
            return None
    if suffix in (".html", ".htm", ".kml"):
        text = _tail(path)
        marker = f"<!-- {MARK_KEY}: "
        at = text.rfind(marker)
        if at < 0:
            return None
        return text[at + len(marker) :].split(" ", 1)[0].strip() or None
    if suffix == ".png":
        return _png_text(path).get(MARK_KEY)
    if suffix == ".xlsx":
        try:
            with zipfile.ZipFile(path) as archive:
                core = archive.read("docProps/core.xml").decode("utf-8", errors="replace")
        except (OSError, KeyError, zipfile.BadZipFile):
            return None
        marker = f"{MARK_KEY}:"
        at = core.find(marker)
        if at < 0:
            return None
        end = min(
            (i for i in (core.find("<", at), core.find(" ", at)) if i >= 0), default=len(core)
        )
        return core[at + len(marker) : end] or None
    sidecar = _sidecar(path)
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and path.name in (data.get("files") or []):
        return str(data.get("kind"))
    return None


def _sidecar(path: Path) -> Path:
    return path.with_name(f"{path.stem}.{MANIFEST}")


def _marks_inside(suffix: str) -> bool:
    return suffix.lower() in (".gpkg", ".html", ".htm", ".kml", ".png", ".xlsx")


def mark_file(path: Path, kind: str) -> None:
    """Put symbiosis's mark (see the module docstring) into a file just written.

    ``.xlsx`` files are marked by their writer (the workbook's keywords); this checks it.
    Files of other suffixes are left alone (their mark is a sidecar, written on commit).

    Parameters
    ----------
    path : Path
        The file, changed in place: a ``.gpkg`` gets the table ``symbiosis_output``, an
        ``.html``/``.htm``/``.kml`` a trailing comment, a ``.png`` a ``tEXt`` chunk before
        ``IEND``.
    kind : str
        The kind of output it is (``map-png``, ``report-html`` ...).

    Raises
    ------
    ValueError
        A ``.png`` that is not a PNG file, or an ``.xlsx`` whose keywords do not carry the
        mark (:func:`xlsx_keywords`).
    """
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("DROP TABLE IF EXISTS symbiosis_output")
            db.execute("CREATE TABLE symbiosis_output (kind TEXT, version TEXT, written TEXT)")
            db.execute(
                "INSERT INTO symbiosis_output VALUES (?, ?, ?)",
                (kind, symbiosis_version(), datetime.now(UTC).isoformat(timespec="seconds")),
            )
            db.commit()
    elif suffix in (".html", ".htm", ".kml"):
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\n<!-- {MARK_KEY}: {kind} (symbiosis {symbiosis_version()}) -->\n")
    elif suffix == ".png":
        data = path.read_bytes()
        end = data.rfind(b"IEND") - 4
        if end < 8:
            raise ValueError(f"{path} is not a PNG file")
        body = MARK_KEY.encode("latin-1") + b"\0" + kind.encode("latin-1")
        chunk = struct.pack(">I", len(body)) + b"tEXt" + body
        chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
        path.write_bytes(data[:end] + chunk + data[end:])
    elif suffix == ".xlsx" and file_kind(path) != kind:
        raise ValueError(f"{path}: the workbook's keywords must read {MARK_KEY}:{kind}")


def xlsx_keywords(kind: str) -> str:
    """The keywords an ``.xlsx`` writer sets (``workbook.properties.keywords``) to mark it.

    Parameters
    ----------
    kind : str
        The kind of output the workbook is (``report-xlsx``).

    Returns
    -------
    str
        ``symbiosis-output:<kind>``, what :func:`file_kind` looks for in
        ``docProps/core.xml``.
    """
    return f"{MARK_KEY}:{kind}"


@dataclass(frozen=True)
class Claim:
    """What writing ``target`` will do, decided by :func:`claim` before any work.

    Attributes
    ----------
    target : Path
        The output path (absolute).
    kind : str
        The kind of output (``run``, ``curve``, ``map-gpkg`` ...).
    folder : bool
        Whether the output is a folder (else one file).
    mode : str
        ``create`` (nothing there), ``replace`` (swap the whole output), ``merge`` (write
        beside foreign files, ``overwrite``; also an empty folder), or ``group`` (files
        written by :func:`write_file_group`).
    ours : tuple of str
        The entries of an existing folder that symbiosis wrote as this kind (replaced, or
        removed on merge when no longer written).
    others : tuple of dict
        The folder manifest's entries ``{kind, files}`` of outputs of other kinds, kept in
        the new manifest on merge.
    overwrite : bool
        Whether ``--overwrite`` was given.
    """

    target: Path
    kind: str
    folder: bool
    mode: str
    ours: tuple[str, ...] = ()
    others: tuple[dict[str, Any], ...] = ()
    overwrite: bool = False


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not _is_staging_name(p.name))


def _shown(names: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def claim(target: str | Path, kind: str, *, folder: bool, overwrite: bool = False) -> Claim:
    """Decide whether ``target`` may be written as an output of ``kind``, before any work.

    Parameters
    ----------
    target : str or Path
        The output path (a folder when ``folder``, else a file).
    kind : str
        What symbiosis writes there (``run``, ``curve``, ``map-gpkg``, ...).
    folder : bool
        Whether the output is a folder.
    overwrite : bool
        Write beside what is there (``--overwrite``); never replaces a file that symbiosis
        did not write.

    Returns
    -------
    Claim
        The decision: ``create`` for a new path, ``replace`` for an output of this kind that
        holds nothing else, ``merge`` for an empty folder or (with ``overwrite``) a folder
        holding other files.

    Raises
    ------
    OutputRefused
        The target is a symbolic link, a file where a folder is wanted (or the reverse),
        or holds something symbiosis did not write (or another kind of output) and
        ``overwrite`` is not given; a file output is never written over a foreign file.
    """
    path = Path(target).absolute()
    way_out = "choose another path" + ("" if overwrite else ", or pass --overwrite")
    if not path.exists() and not path.is_symlink():
        return Claim(path, kind, folder, "create", overwrite=overwrite)
    if path.is_symlink():
        raise OutputRefused(
            path, f"is a symbolic link; symbiosis does not write through it: {way_out}"
        )
    if folder != path.is_dir():
        what = "a folder" if path.is_dir() else "a file"
        raise OutputRefused(
            path,
            f"is {what}, and this output is {'a folder' if folder else 'a file'}: "
            "choose another path",
        )
    if not folder:
        found = file_kind(path)
        if found == kind:
            return Claim(path, kind, folder, "replace", overwrite=overwrite)
        what = (
            f"a symbiosis output of another kind ({found})"
            if found
            else "a file symbiosis did not write"
        )
        raise OutputRefused(
            path, f"exists and is {what}; symbiosis never replaces it: choose another path"
        )
    entries = folder_outputs(path)
    present = _listing(path)
    if entries is None:
        if not present:
            return Claim(path, kind, folder, "merge", overwrite=overwrite)
        if MANIFEST in present and not overwrite:
            raise OutputRefused(
                path,
                f"exists and holds files symbiosis did not write ({_shown(present)}): {way_out}",
            )
        if not overwrite:
            raise OutputRefused(
                path,
                f"exists and holds files symbiosis did not write ({_shown(present)}); "
                f"symbiosis never deletes them: {way_out} (it then writes beside them)",
            )
        return Claim(path, kind, folder, "merge", overwrite=overwrite)
    mine = [e for e in entries if e["kind"] == kind]
    others = tuple(e for e in entries if e["kind"] != kind)
    listed = {f for e in entries for f in e["files"]} | {MANIFEST}
    foreign = [name for name in present if name not in listed]
    ours = tuple(sorted({f for e in mine for f in e["files"]} & set(present)))
    if mine and not others and not foreign:
        return Claim(path, kind, folder, "replace", ours, overwrite=overwrite)
    if not overwrite:
        why = []
        if foreign:
            why.append(f"files symbiosis did not write ({_shown(foreign)})")
        if others:
            why.append(
                "symbiosis output of another kind (" + ", ".join(e["kind"] for e in others) + ")"
            )
        raise OutputRefused(
            path,
            f"exists and holds {' and '.join(why)}; symbiosis never deletes them: {way_out} "
            "(it then writes beside them)",
        )
    return Claim(path, kind, folder, "merge", ours, others, overwrite)


# --------------------------------------------------------------------------------------------
# Staging: a hidden folder beside the target, cleaned up even if this process is killed
# --------------------------------------------------------------------------------------------
def _is_staging_name(name: str) -> bool:
    return name.startswith(".") and STAGING_INFIX in name and name.endswith(STAGING_SUFFIX)


def pid_alive(pid: int) -> bool:
    """Whether a process exists.

    Parameters
    ----------
    pid : int
        Its id.

    Returns
    -------
    bool
        True when a process of that id exists (ours or another user's).
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(parent: Path) -> list[Path]:
    """Remove staging folders in ``parent`` left by symbiosis processes that no longer run
    (the watcher normally removes them at once).

    A previous output parked in one by an unfinished fallback swap is put back at its
    target first, if the target is missing.

    Parameters
    ----------
    parent : Path
        The folder to clean (the parent of an output about to be written); one that cannot
        be listed is left alone.

    Returns
    -------
    list of Path
        The staging folders removed (those of this process and of live ones are kept).
    """
    removed: list[Path] = []
    try:
        names = [p for p in Path(parent).iterdir() if _is_staging_name(p.name)]
    except OSError:
        return removed
    for path in names:
        try:
            pid = int(path.name.rsplit(STAGING_INFIX, 1)[1].split(".", 1)[0])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not pid_alive(pid):
            _restore_or_remove(path)
            removed.append(path)
    return removed


def _restore_or_remove(staging: Path) -> None:
    """What the watcher does: put back a previous output parked in ``staging`` by a fallback
    swap that did not finish, then remove ``staging``."""
    parked = staging / ".previous"
    info = staging / ".target"
    if parked.exists() and info.exists():
        target = Path(info.read_text(encoding="utf-8"))
        if not target.exists():
            with contextlib.suppress(OSError):
                os.rename(parked, target)
    shutil.rmtree(staging, ignore_errors=True)


_WATCHER = r"""
trap '' INT TERM HUP
cat >/dev/null
s="$1"; t="$2"
if [ -e "$s/.previous" ] && [ ! -e "$t" ] && [ ! -L "$t" ]; then mv "$s/.previous" "$t"; fi
rm -rf "$s"
"""


class _Watcher:
    """A tiny ``sh`` process that waits for this process to close a pipe (on exit, or when
    it is killed) and then removes the staging folder (restoring a parked previous output
    first). It runs in its own session so that Ctrl-C and a killed process group leave it
    alone."""

    def __init__(self, staging: Path, target: Path):
        self.process: subprocess.Popen[bytes] | None = None
        sh = shutil.which("sh")
        if sh is None:  # pragma: no cover - POSIX only
            return
        try:
            self.process = subprocess.Popen(
                [sh, "-c", _WATCHER, "symbiosis-watcher", str(staging), str(target)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                start_new_session=True,
            )
        except OSError:  # pragma: no cover
            self.process = None

    def close(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            self.process = None


_RENAME_EXCHANGE = 2
_libc: Any = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False when not available here."""
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        try:
            _libc = ctypes.CDLL(name, use_errno=True) if name else False
        except OSError:  # pragma: no cover
            _libc = False
    if not _libc or not hasattr(_libc, "renameat2"):
        return False
    at_fdcwd = -100
    result = _libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@dataclass
class Staged:
    """An output being written: write into ``path``; it is moved to the target when the
    ``with`` block of :func:`staged` ends without an exception.

    Attributes
    ----------
    path : Path
        Where to write: inside the hidden staging folder, with the target's name (an
        existing empty folder for a folder output, a path not yet written for a file).
    claim : Claim
        The decision it is written under (decided again when the block ends).
    manifest : dict or None
        What a folder's ``manifest.json`` holds besides its list of outputs (a run's
        manifest), set by the writer; None for only that list.
    """

    path: Path
    claim: Claim
    manifest: dict[str, Any] | None = None


def _folder_manifest(
    base: dict[str, Any] | None, kind: str, files: Sequence[str], others: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    data = dict(base or {})
    written = set(files) | {MANIFEST}
    # a file this output writes belongs to it now, no longer to another kind's output
    kept = [{**e, "files": [f for f in e["files"] if f not in written]} for e in others]
    data["symbiosis_outputs"] = [
        *(e for e in kept if [f for f in e["files"] if f != MANIFEST]),
        {
            "kind": kind,
            "files": sorted(set(files) | {MANIFEST}),
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": symbiosis_version(),
        },
    ]
    return data


@contextlib.contextmanager
def staged(claimed: Claim) -> Iterator[Staged]:
    """Write an output aside, then move it in whole.

    Write the output into ``stage.path`` (a folder for a folder output, a file path
    otherwise); set ``stage.manifest`` to the dict a folder's ``manifest.json`` should hold
    (its list of outputs is added here). When the block ends normally the output is moved
    in (:class:`Claim` mode ``create``/``replace``: whole; ``merge``: file by file, foreign
    files untouched); on an exception nothing at the target changes.

    Parameters
    ----------
    claimed : Claim
        The decision from :func:`claim`; it is taken again when the block ends, since what
        is at the target may have changed meanwhile.

    Yields
    ------
    Staged
        The output being written. The staging folder is removed when the block ends,
        whatever happens (and by the watcher process should this one be killed).

    Raises
    ------
    OutputRefused
        When the block ends and the target may no longer be written, or a merge would
        replace a file of the same name that symbiosis did not write.
    RuntimeError
        A file output whose writer wrote nothing at ``stage.path``.
    """
    target = claimed.target
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(parent)
    staging = Path(
        tempfile.mkdtemp(
            prefix=f".{target.name}{STAGING_INFIX}{os.getpid()}.",
            suffix=STAGING_SUFFIX,
            dir=parent,
        )
    )
    (staging / ".target").write_text(str(target), encoding="utf-8")
    watcher = _Watcher(staging, target)
    try:
        inner = staging / target.name
        if claimed.folder:
            inner.mkdir()
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(inner, 0o777 & ~umask)
        stage = Staged(inner, claimed)
        yield stage
        # what is at the target may have changed while the output was made: decide again
        stage.claim = claim(
            target, claimed.kind, folder=claimed.folder, overwrite=claimed.overwrite
        )
        _commit(stage, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        watcher.close()


def _commit(stage: Staged, staging: Path) -> None:
    claimed = stage.claim
    target = claimed.target
    inner = stage.path
    if not claimed.folder:
        if not inner.exists():
            raise RuntimeError(f"nothing was written for {target}")
        if _marks_inside(inner.suffix):
            mark_file(inner, claimed.kind)
            os.replace(inner, target)
        else:
            side = _sidecar(target)
            if side.exists() and file_kind(target) != claimed.kind and target.exists():
                raise OutputRefused(target, "exists and is not a symbiosis output")
            side_staged = staging / side.name
            side_staged.write_text(
                dump_json(
                    {"kind": claimed.kind, "files": [target.name], "version": symbiosis_version()}
                ),
                encoding="utf-8",
            )
            os.replace(inner, target)
            os.replace(side_staged, side)
        return
    files = _listing(inner)
    if claimed.mode == "merge":
        base = _read_manifest(target) if (target / MANIFEST).exists() else None
        if base is not None and folder_outputs(target) is None:
            base = None
        manifest = _folder_manifest(
            stage.manifest if stage.manifest is not None else base,
            claimed.kind,
            files,
            claimed.others,
        )
    else:
        manifest = _folder_manifest(stage.manifest, claimed.kind, files, ())
    (inner / MANIFEST).write_text(dump_json(manifest), encoding="utf-8")
    if claimed.mode == "create":
        os.rename(inner, target)
    elif claimed.mode == "replace":
        if not _exchange(inner, target):
            parked = staging / ".previous"
            os.rename(target, parked)
            os.rename(inner, target)
    else:
        _merge_into(inner, target, claimed)


def _merge_into(inner: Path, target: Path, claimed: Claim) -> None:
    """Move the staged files into a folder that holds files symbiosis did not write: ours of
    this kind are replaced (or removed when no longer written); a foreign file of the same
    name is never touched (refused before any is moved)."""
    listed_others = {f for e in claimed.others for f in e["files"]}
    ours = set(claimed.ours) | listed_others | {MANIFEST}
    names = _listing(inner)
    clash = [
        n
        for n in names
        if (target / n).exists()
        and n not in ours
        and not (n == MANIFEST and _ours_manifest(target))
    ]
    if clash:
        raise OutputRefused(
            target,
            f"holds files of the same names that symbiosis did not write ({_shown(clash)}); "
            "symbiosis never replaces them: choose another path",
        )
    for name in names:
        src, dst = inner / name, target / name
        if src.is_dir() and dst.is_dir():
            if not _exchange(src, dst):
                shutil.rmtree(dst)
                os.rename(src, dst)
        else:
            if dst.is_dir():
                shutil.rmtree(dst)
            os.replace(src, dst)
    for name in claimed.ours:
        if name not in names and name != MANIFEST and name not in listed_others:
            old = target / name
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)


def _ours_manifest(folder: Path) -> bool:
    return folder_outputs(folder) is not None


# --------------------------------------------------------------------------------------------
# The calls commands use
# --------------------------------------------------------------------------------------------
def write_folder(
    target: str | Path,
    kind: str,
    writers: Mapping[str, Writer],
    *,
    overwrite: bool = False,
    manifest: dict[str, Any] | None = None,
) -> Path:
    """Write a folder output whole: each ``writers[name](path)`` writes one file.

    Parameters
    ----------
    target : str or Path
        The folder.
    kind : str
        The kind of output (``run``, ``map-geojson``, ...).
    writers : mapping of str to callable
        File name -> function writing that file at the path given, called in order.
    overwrite : bool
        Write beside foreign files (never replacing them).
    manifest : dict or None
        What ``manifest.json`` holds besides the list of outputs (a run's manifest).

    Returns
    -------
    Path
        The folder written (absolute).

    Raises
    ------
    OutputRefused
        The folder may not be written (:func:`claim`), checked before any writer runs and
        again before the folder is moved in.
    """
    claimed = claim(target, kind, folder=True, overwrite=overwrite)
    with staged(claimed) as stage:
        stage.manifest = manifest
        for name, write in writers.items():
            write(stage.path / name)
    return claimed.target


def write_tree(target: str | Path, kind: str, write: Writer, *, overwrite: bool = False) -> Path:
    """Write a folder output whole, ``write(folder)`` filling the (existing, empty) folder.

    Parameters
    ----------
    target : str or Path
        The folder.
    kind : str
        The kind of output (``map-shp``, ``case-folder`` ...).
    write : callable
        Called once with the staged folder; may write files and subfolders in it.
    overwrite : bool
        Write beside foreign files (never replacing them).

    Returns
    -------
    Path
        The folder written (absolute).

    Raises
    ------
    OutputRefused
        The folder may not be written (:func:`claim`).
    """
    claimed = claim(target, kind, folder=True, overwrite=overwrite)
    with staged(claimed) as stage:
        write(stage.path)
    return claimed.target


def write_file(target: str | Path, kind: str, write: Writer, *, overwrite: bool = False) -> Path:
    """Write a one-file output whole (``write(path)`` writes it), marked as symbiosis's.

    Parameters
    ----------
    target : str or Path
        The file; its suffix decides how it is marked (the module docstring's table).
    kind : str
        The kind of output (``report-html``, ``map-png`` ...).
    write : callable
        Called once with the staged file's path, which it must create.
    overwrite : bool
        No effect on a file output: a file symbiosis did not write is never replaced.

    Returns
    -------
    Path
        The file written (absolute).

    Raises
    ------
    OutputRefused
        The target is not a symbiosis output of this kind (:func:`claim`).
    RuntimeError
        ``write`` created no file.
    """
    claimed = claim(target, kind, folder=False, overwrite=overwrite)
    with staged(claimed) as stage:
        write(stage.path)
    return claimed.target


def write_file_group(main: str | Path, kind: str, writers: Mapping[str, Writer]) -> list[Path]:
    """Write files that belong together beside each other (``main`` and its siblings, e.g. a
    CSV report and its further tables), listed in the sidecar ``<stem>.manifest.json``.

    Every name must be free, or a file of the same group written before (listed in the
    sidecar); members of the old group no longer written are removed. Each file is moved in
    by a rename once all are written; the sidecar last.

    Parameters
    ----------
    main : str or Path
        The group's main file; the others are written in its folder, and the sidecar is
        named after its stem.
    kind : str
        The kind of output (``report-csv``).
    writers : mapping of str to callable
        File name (in ``main``'s folder, ``main``'s own name first) -> function writing that
        file at the path given, called in order.
    Returns
    -------
    list of Path
        The files written, in the order of ``writers`` (``main`` first).

    Raises
    ------
    OutputRefused
        A file of one of these names exists and is not of this group, or the sidecar exists
        and was not written for an output of this kind.
    """
    main = Path(main).absolute()
    side = _sidecar(main)
    listed: list[str] = []
    if side.exists():
        try:
            data = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict) or data.get("kind") != kind:
            raise OutputRefused(side, "exists and was not written by symbiosis as this report")
        listed = [str(f) for f in data.get("files") or []]
    names = list(writers)
    for name in names:
        path = main.parent / name
        if (path.exists() or path.is_symlink()) and name not in listed:
            raise OutputRefused(
                path,
                "exists and was not written by symbiosis; it is never replaced: "
                "choose another path",
            )
    claimed = Claim(main, kind, False, "group")
    main.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(main.parent)
    staging = Path(
        tempfile.mkdtemp(
            prefix=f".{main.name}{STAGING_INFIX}{os.getpid()}.",
            suffix=STAGING_SUFFIX,
            dir=main.parent,
        )
    )
    watcher = _Watcher(staging, main)
    try:
        for name, write in writers.items():
            write(staging / name)
        (staging / side.name).write_text(
            dump_json({"kind": claimed.kind, "files": names, "version": symbiosis_version()}),
            encoding="utf-8",
        )
        for name in names:
            os.replace(staging / name, main.parent / name)
        os.replace(staging / side.name, side)
        for name in listed:
            if name not in names:
                (main.parent / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        watcher.close()
    return [main.parent / name for name in names]


def open_folder(
    target: str | Path, kind: str, files: Sequence[str], *, overwrite: bool = False
) -> Claim:
    """Claim a folder that is filled bit by bit and kept between runs (a sweep: points are
    added as they finish, and a re-run goes on where the last stopped).

    A new folder is created with its ``manifest.json``; a folder of this kind is used as it
    is; a foreign folder (``overwrite``) gets the manifest beside its files, none of which may
    bear one of ``files``' names.

    Parameters
    ----------
    target : str or Path
        The folder.
    kind : str
        The kind of output (``sweep``).
    files : sequence of str
        The names of the files the output will write there (listed in the manifest).
    overwrite : bool
        Use a folder holding files symbiosis did not write (never replacing them).

    Returns
    -------
    Claim
        The decision (``create``, ``replace``: reuse, ``merge``). The folder exists on
        return; the caller writes its files itself (:func:`write_text_atomic`).

    Raises
    ------
    OutputRefused
        The folder may not be written (:func:`claim`), or (``overwrite``) holds a file
        symbiosis did not write under one of ``files``' names or ``manifest.json``.
    """
    path = Path(target).absolute()
    entries = folder_outputs(path) if path.is_dir() else None
    if entries is not None and any(e["kind"] == kind for e in entries):
        # ours: files are only ever added or replaced here, so anything else in it is safe
        mine = tuple(sorted({f for e in entries if e["kind"] == kind for f in e["files"]}))
        return Claim(path, kind, True, "replace", mine, overwrite=overwrite)
    claimed = claim(target, kind, folder=True, overwrite=overwrite)
    if claimed.mode == "merge":
        clash = [n for n in [*files, MANIFEST] if (path / n).exists() and n not in claimed.ours]
        clash = [n for n in clash if not (n == MANIFEST and _ours_manifest(path))]
        if clash:
            raise OutputRefused(
                path,
                f"holds files of the same names that symbiosis did not write ({_shown(clash)}); "
                "symbiosis never replaces them: choose another path",
            )
    path.mkdir(parents=True, exist_ok=True)
    if claimed.mode != "replace":
        base = _read_manifest(path) if _ours_manifest(path) else None
        manifest = _folder_manifest(base, kind, files, claimed.others)
        write_text_atomic(path / MANIFEST, dump_json(manifest))
    return claimed


def write_text_atomic(path: Path, text: str) -> None:
    """Replace one file inside a folder symbiosis owns (e.g. a sweep's ``sweep.csv``) by a
    write to a temporary name beside it and a rename: readers see the old file or the new
    one, never a part.

    Parameters
    ----------
    path : Path
        The file; its folder must exist. Written with the permissions the umask allows.
    text : str
        The whole new content, written as UTF-8.

    Raises
    ------
    OSError
        When the file cannot be written (the temporary file is removed).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


__all__ = [
    "CASE_FOLDER_KIND",
    "CASE_GPKG_KIND",
    "CURVE_KIND",
    "GENERATED_KIND",
    "PARETO_KIND",
    "REPORT_CSV_KIND",
    "REPORT_HTML_KIND",
    "REPORT_XLSX_KIND",
    "RUN_KIND",
    "SWEEP_KIND",
    "Claim",
    "OutputRefused",
    "Staged",
    "claim",
    "dump_json",
    "file_kind",
    "folder_outputs",
    "map_kind",
    "mark_file",
    "open_folder",
    "pid_alive",
    "sha256_file",
    "staged",
    "sweep_stale",
    "symbiosis_version",
    "write_file",
    "write_file_group",
    "write_folder",
    "write_text_atomic",
    "write_tree",
    "xlsx_keywords",
]

"""The output rule (symbiosis.files) for every command that writes: a target is created,
replaced whole when it is a symbiosis output of the same kind, refused otherwise; --overwrite
writes beside foreign files and never deletes or replaces one; a failed or killed write
leaves the previous output whole and no staging folder behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbiosis import files
from symbiosis.cli import app
from symbiosis.files import OutputRefused, claim, file_kind, staged, sweep_stale

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
TINY = CASES / "tiny" / "scenario.yaml"
KINK = CASES / "kink" / "scenario.yaml"
KINK_PARETO = CASES / "kink" / "pareto.yaml"
SYMBIOSIS = Path(sys.executable).with_name("symbiosis")

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, flat(result.output)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> bytes)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def no_staging_left(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if ".symbiosis-" in p.name and p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("solved") / "tiny"
    assert invoke("run", TINY, "--out", out, "-q")[0] == 0
    return out


def _user_folder(parent: Path, name: str = "tiny") -> Path:
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "report.docx").write_bytes(b"\x00\x01 not symbiosis")
    return folder


# --------------------------------------------------------------------------------------------
# Every command leaves a folder of the user's files alone
# --------------------------------------------------------------------------------------------
FOLDER_COMMANDS = {
    "run": lambda out, run: ["run", TINY, "--out", out, "-q"],
    # several scenarios: --out is the parent; the user's folder bears a scenario's name
    "run-several": lambda out, run: ["run", KINK, TINY, "--out", out.parent, "-q"],
    "curve": lambda out, run: ["curve", KINK, "--targets", "300000,400000", "--out", out, "-q"],
    "pareto": lambda out, run: ["pareto", KINK_PARETO, "-n", "2", "--out", out, "-q"],
    "sweep": lambda out, run: [
        "sweep",
        TINY,
        "--serial",
        "--set",
        "discount_rate=0.05,0.07",
        "--out",
        out,
        "-q",
    ],
    "map-geojson": lambda out, run: ["map", run, "--out", out, "--format", "geojson"],
    "map-shp": lambda out, run: ["map", run, "--out", out, "--format", "shp"],
    "case-export": lambda out, run: ["case", "export", TINY.parent / "case", "--out", out],
    "generate": lambda out, run: ["generate", out, "--sources", "12"],
}


@pytest.mark.parametrize("command", sorted(FOLDER_COMMANDS))
def test_a_folder_of_user_files_survives_every_command(
    command: str, run_dir: Path, tmp_path: Path
) -> None:
    folder = _user_folder(tmp_path)
    before = snapshot(folder)
    code, text = invoke(*FOLDER_COMMANDS[command](folder, run_dir))
    assert code == 2, text
    assert "notes.txt" in text and "--overwrite" in text and str(folder) in text
    assert "Traceback" not in text
    assert snapshot(folder) == before
    assert no_staging_left(tmp_path)


@pytest.mark.parametrize("command", sorted(FOLDER_COMMANDS))
def test_overwrite_writes_beside_user_files_and_never_deletes_them(
    command: str, run_dir: Path, tmp_path: Path
) -> None:
    folder = _user_folder(tmp_path)
    before = snapshot(folder)
    code, text = invoke(*FOLDER_COMMANDS[command](folder, run_dir), "--overwrite")
    assert code == 0, text
    after = snapshot(folder)
    assert {k: after[k] for k in before} == before
    assert len(after) > len(before)
    # and again: symbiosis's own files are replaced, the user's still kept
    code, text = invoke(*FOLDER_COMMANDS[command](folder, run_dir), "--overwrite")
    assert code == 0, text
    again = snapshot(folder)
    assert {k: again[k] for k in before} == before
    assert set(again) == set(after)
    assert no_staging_left(tmp_path)


FILE_COMMANDS = {
    "map.gpkg": lambda out, run: ["map", run, "--out", out],
    "map.kml": lambda out, run: ["map", run, "--out", out],
    "map.html": lambda out, run: ["map", run, "--out", out],
    "map.png": lambda out, run: ["map", run, "--out", out],
    "report.xlsx": lambda out, run: ["compare", run, run, "--out", out],
    "report.html": lambda out, run: ["compare", run, run, "--out", out],
    "report.csv": lambda out, run: ["compare", run, run, "--out", out],
    "case.gpkg": lambda out, run: ["case", "export", TINY.parent / "case", "--out", out],
}


@pytest.mark.parametrize("name", sorted(FILE_COMMANDS))
def test_a_file_symbiosis_did_not_write_is_never_replaced(
    name: str, run_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / name
    target.write_bytes(b"the user's own file")
    for extra in ([], ["--overwrite"] if not name.startswith("report") else []):
        code, text = invoke(*FILE_COMMANDS[name](target, run_dir), *extra)
        assert code == 2, text
        assert str(target) in text and "Traceback" not in text
        assert target.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("name", sorted(FILE_COMMANDS))
def test_a_file_output_is_replaced_by_the_same_command(
    name: str, run_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / name
    assert invoke(*FILE_COMMANDS[name](target, run_dir))[0] == 0
    kind = file_kind(target)
    assert kind is not None
    first = target.stat().st_mtime_ns
    time.sleep(0.01)
    code, text = invoke(*FILE_COMMANDS[name](target, run_dir))
    assert code == 0, text
    assert target.stat().st_mtime_ns > first
    assert file_kind(target) == kind
    assert no_staging_left(tmp_path)


def test_another_kind_of_output_is_not_replaced(run_dir: Path, tmp_path: Path) -> None:
    """GeoJSON then Shapefile of the same name: the second no longer wipes the first."""
    out = tmp_path / "layers"
    assert invoke("map", run_dir, "--out", out, "--format", "geojson")[0] == 0
    before = snapshot(out)
    code, text = invoke("map", run_dir, "--out", out, "--format", "shp")
    assert code == 2 and "map-geojson" in text
    assert snapshot(out) == before
    # --overwrite puts the shapefiles beside the GeoJSON files
    assert invoke("map", run_dir, "--out", out, "--format", "shp", "--overwrite")[0] == 0
    after = snapshot(out)
    geojson = [k for k in before if k.endswith(".geojson")]
    assert geojson and {k: after[k] for k in geojson} == {k: before[k] for k in geojson}
    assert any(k.endswith(".shp") for k in after)
    kinds = [e["kind"] for e in files.folder_outputs(out) or []]
    assert sorted(kinds) == ["map-geojson", "map-shp"]
    # a run into a map folder is refused
    code, text = invoke("run", TINY, "--out", out, "-q")
    assert code == 2


def test_overwrite_never_replaces_a_user_file_of_the_same_name(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "summary.json").write_text('{"mine": true}', encoding="utf-8")
    code, text = invoke("run", TINY, "--out", folder, "-q", "--overwrite")
    assert code == 2 and "summary.json" in text
    assert (folder / "summary.json").read_text(encoding="utf-8") == '{"mine": true}'
    assert sorted(p.name for p in folder.iterdir()) == ["summary.json"]


def test_a_run_is_refused_before_it_is_solved(tmp_path: Path) -> None:
    """The Python API refuses a foreign folder before any work (no solve, nothing written)."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    folder = _user_folder(tmp_path)
    before = snapshot(folder)
    started = time.perf_counter()
    with pytest.raises(OutputRefused, match=r"notes\.txt"):
        run_scenario(load_scenario(TINY), folder)
    assert time.perf_counter() - started < 1.0
    assert snapshot(folder) == before


def test_a_failed_write_keeps_the_previous_run_whole(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symbiosis import results

    out = tmp_path / "run"
    assert invoke("run", TINY, "--out", out, "-q")[0] == 0
    before = snapshot(out)

    def broken(frame: object, path: Path, *args: object, **kwargs: object) -> None:
        Path(path).write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results.pd.DataFrame, "to_csv", broken)
    code, text = invoke("run", TINY, "--out", out, "-q")
    assert code == 1 and "No space left" in text
    assert snapshot(out) == before
    assert no_staging_left(tmp_path)


def test_replace_without_renameat2_parks_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the atomic exchange is not available, the old folder is parked inside the
    staging folder for the moment between two renames; a process that dies there has it put
    back (by the watcher, or by the next write)."""
    out = tmp_path / "run"
    assert invoke("run", TINY, "--out", out, "-q")[0] == 0
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    assert invoke("run", TINY, "--out", out, "-q")[0] == 0
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["status"] == "optimal"
    assert no_staging_left(tmp_path)

    # a process that died between the two renames: the target is gone, parked in staging
    before = snapshot(out)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    staging = tmp_path / f".run{files.STAGING_INFIX}{dead.pid}.abc{files.STAGING_SUFFIX}"
    staging.mkdir()
    (staging / ".target").write_text(str(out), encoding="utf-8")
    os.rename(out, staging / ".previous")
    assert not out.exists()
    assert sweep_stale(tmp_path) == [staging]
    assert snapshot(out) == before
    assert no_staging_left(tmp_path)


def test_the_watcher_removes_staging_when_the_writer_is_killed(tmp_path: Path) -> None:
    """SIGKILL inside the staged block: no staging folder is left beside the target."""
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from symbiosis.files import claim, staged\n"
        "c = claim(Path(sys.argv[1]), 'run', folder=True)\n"
        "with staged(c) as s:\n"
        "    (s.path / 'big.bin').write_bytes(b'x' * 1000)\n"
        "    print(s.path, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    target = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL
    staged_path = Path(proc.stdout.strip())
    assert staged_path.parent.parent == tmp_path
    deadline = time.monotonic() + 5
    while not no_staging_left(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert no_staging_left(tmp_path)
    assert not target.exists()


def test_claim_modes(tmp_path: Path) -> None:
    assert claim(tmp_path / "new", "run", folder=True).mode == "create"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claim(empty, "run", folder=True).mode == "merge"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(OutputRefused, match="is a file"):
        claim(a_file, "run", folder=True)
    with pytest.raises(OutputRefused, match="did not write"):
        claim(a_file, "report-csv", folder=False)
    link = tmp_path / "link"
    link.symlink_to(empty)
    with pytest.raises(OutputRefused, match="symbolic link"):
        claim(link, "run", folder=True)


def test_a_folder_changed_during_the_run_is_decided_again(tmp_path: Path) -> None:
    """A user file dropped into the old run folder while the new one was being made: the
    swap is refused and nothing is lost."""
    out = tmp_path / "run"
    assert invoke("run", TINY, "--out", out, "-q")[0] == 0
    claimed = claim(out, "run", folder=True)
    assert claimed.mode == "replace"
    with pytest.raises(OutputRefused, match=r"late\.txt"), staged(claimed) as stage:
        (stage.path / "summary.json").write_text("{}", encoding="utf-8")
        (out / "late.txt").write_text("added meanwhile", encoding="utf-8")
    assert (out / "late.txt").read_text(encoding="utf-8") == "added meanwhile"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["status"] == "optimal"
    assert no_staging_left(tmp_path)


# --------------------------------------------------------------------------------------------
# SIGKILL at random moments
# --------------------------------------------------------------------------------------------
def _complete_run(folder: Path) -> bool:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {f for e in manifest["symbiosis_outputs"] for f in e["files"]}
    present = {p.name for p in folder.iterdir()}
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return present == listed and summary["status"] == "optimal"


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_half_folder(tmp_path: Path) -> None:
    """30 runs killed at random moments: the previous run stays whole (or the new one is
    there whole), and no staging folder is left once the watcher has run."""
    parent = tmp_path / "runs"
    out = parent / "tiny"
    args = [str(SYMBIOSIS), "run", str(TINY), "--out", str(out), "-q"]
    subprocess.run(args, check=True, timeout=120)
    started = time.perf_counter()
    subprocess.run(args, check=True, timeout=120)
    whole = time.perf_counter() - started
    rng = random.Random(20261130)
    replaced = 0
    for _ in range(30):
        before = (out / "manifest.json").read_bytes()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3 * whole, 1.05 * whole))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while not no_staging_left(parent) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert no_staging_left(parent), sorted(p.name for p in parent.iterdir())
        assert sorted(p.name for p in parent.iterdir()) == ["tiny"]
        assert _complete_run(out)
        replaced += (out / "manifest.json").read_bytes() != before
    assert 0 < replaced < 30  # some kills came after the swap, some before

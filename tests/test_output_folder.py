"""The output folder is replaced as a whole (issue 11, item 5), tried with real processes:
a build killed with SIGKILL at chosen points leaves the previous build untouched (or the
new one complete), a second build into the same folder is refused while the first runs,
the next build cleans up what a killed one left, and files camera-map did not write stay.

No test waits for time to pass: a build is stopped at a chosen point by a small driver
that wraps one function, says "PAUSED" on stdout and blocks on stdin until it is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from hostile import cli, ended_cleanly, env
from shapely.geometry import box

DRIVER = """
import importlib, sys
module, name, when = sys.argv[1:4]
mod = importlib.import_module(module)
real = getattr(mod, name)
def paused(*args, **kwargs):
    result = real(*args, **kwargs) if when == "after" else None
    sys.stdout.write("PAUSED\\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the test kills this process
    return real(*args, **kwargs) if when == "before" else result
setattr(mod, name, paused)
from camera_map.cli import main
main(sys.argv[4:], prog_name="camera-map")
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp_path = tmp_path_factory.mktemp("inputs")
    towns = tmp_path / "towns.gpkg"
    gpd.GeoDataFrame({"code": ["A", "B"], "name": ["Alfa", "Beta"], "pop": [1000, 2000]},
                     geometry=[box(20, 44, 20.1, 44.1), box(20.1, 44, 20.2, 44.1)],
                     crs=4326).to_file(towns)
    old = tmp_path / "old" / "cams.csv"
    new = tmp_path / "new" / "cams.csv"
    old.parent.mkdir()
    new.parent.mkdir()
    old.write_text("municipality,latitude,longitude\nAlfa,44.05,20.05\n", encoding="utf-8")
    new.write_text("municipality,latitude,longitude\nAlfa,44.05,20.05\nBeta,44.05,20.15\n"
                   "Beta,44.06,20.16\n", encoding="utf-8")
    return {"towns": towns, "old": old, "new": new}


def args(inputs: dict[str, Path], which: str, out: Path) -> list[str]:
    return ["build", "--boundaries", str(inputs["towns"]), "--id-field", "code",
            "--population-field", "pop", "--cameras", str(inputs[which]), "--out", str(out),
            "--no-png", "--format", "geojson,csv"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def start_paused(module: str, name: str, when: str, argv: list[str],
                 cwd: Path | None = None) -> subprocess.Popen[str]:
    """A build stopped in ``module.name`` (before or after it ran); returns once paused."""
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, module, name, when, *argv],
                            env=env(), cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the build reaches the point (or dies)
    if line != "PAUSED\n":
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the build never reached {module}.{name}: {line!r} {err[-2000:]}")
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def builds(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Finished builds, made once: the old input (with a user's note and a placeholder in
    the folder) and the new input."""
    tmp = tmp_path_factory.mktemp("builds")
    old = tmp / "old"
    old.mkdir()
    (old / ".gitkeep").write_bytes(b"")
    (old / "my notes.txt").write_text("mine", encoding="utf-8")
    ended_cleanly(cli(*args(inputs, "old", old)), 0)
    assert "Cameras: 1 " in (old / "summary.txt").read_text("utf-8")
    new = tmp / "new"
    ended_cleanly(cli(*args(inputs, "new", new)), 0)
    return {"old": old, "new": new}


@pytest.fixture()
def old_build(tmp_path: Path, builds: dict[str, Path]) -> tuple[Path, dict[str, bytes]]:
    """A copy of the old build, in a folder of this test's own."""
    out = tmp_path / "output"
    shutil.copytree(builds["old"], out, symlinks=True)
    return out, snapshot(out)


@pytest.mark.parametrize(("module", "name", "when"), [
    ("camera_map.pipeline", "write_csv", "after"),    # some files of the new build written
    ("camera_map.export", "_arrow_bytes", "after"),   # in the middle of writing a file
    ("camera_map._outdir", "_exchange", "before"),    # every file written, not yet swapped
])
def test_killed_before_the_swap_the_old_build_is_untouched(
        inputs: dict[str, Path], old_build: tuple[Path, dict[str, bytes]], module: str,
        name: str, when: str) -> None:
    out, before = old_build
    proc = start_paused(module, name, when, args(inputs, "new", out))
    assert leftovers(out)  # the lock and the new build's temporary folder exist meanwhile
    kill(proc)
    assert snapshot(out) == before  # byte for byte the old build, the note and .gitkeep
    ended_cleanly(cli(*args(inputs, "new", out)), 0)  # the next build cleans up
    assert leftovers(out) == []
    assert "Cameras: 3 " in (out / "summary.txt").read_text("utf-8")
    assert (out / "my notes.txt").read_text("utf-8") == "mine" and (out / ".gitkeep").exists()


def test_killed_after_the_swap_the_new_build_is_complete(
        inputs: dict[str, Path], old_build: tuple[Path, dict[str, bytes]],
        builds: dict[str, Path]) -> None:
    out, _ = old_build
    proc = start_paused("camera_map._outdir", "_exchange", "after", args(inputs, "new", out))
    kill(proc)
    after = snapshot(out)
    expected = snapshot(builds["new"])
    assert set(after) == set(expected) | {".gitkeep", "my notes.txt"}
    for file in ("summary.txt", "cameras.csv", "municipalities.geojson", "cameras.geojson"):
        assert after[file] == expected[file], file
    assert leftovers(out)  # the previous build, set aside
    ended_cleanly(cli(*args(inputs, "new", out)), 0)
    assert leftovers(out) == []


def test_a_second_build_into_the_same_folder_is_refused(
        inputs: dict[str, Path], old_build: tuple[Path, dict[str, bytes]]) -> None:
    out, before = old_build
    first = start_paused("camera_map.pipeline", "write_csv", "after", args(inputs, "new", out))
    try:
        line = ended_cleanly(cli(*args(inputs, "new", out)), 1)
        assert line == (f"error: another camera-map process (pid {first.pid}) is writing to "
                        f"{str(out)!r}; wait for it to finish, or build into another folder "
                        "with --out")
        assert snapshot(out) == before
    finally:
        kill(first)
    ended_cleanly(cli(*args(inputs, "new", out)), 0)  # the lock died with its process
    assert leftovers(out) == []


def test_files_an_earlier_build_wrote_are_not_mixed_in(
        inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    ended_cleanly(cli(*[*args(inputs, "old", out)[:-1], "geojson,csv,fgb"]), 0)
    assert (out / "cameras.fgb").exists()
    (out / ".cameras.part-abcd1234.csv").write_text("half", encoding="utf-8")  # old-style
    ended_cleanly(cli(*args(inputs, "new", out)), 0)
    names = set(os.listdir(out))
    assert "cameras.fgb" not in names and ".cameras.part-abcd1234.csv" not in names
    assert "cameras.csv" in names


def test_a_users_folders_and_links_are_kept(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "data" / "deep").mkdir(parents=True)
    (out / "data" / "deep" / "big.bin").write_bytes(b"\0" * 1000)
    (out / "link").symlink_to("data/deep")
    (out / "README.md").write_text("overwritten by the build, as documented", encoding="utf-8")
    inode = (out / "data" / "deep" / "big.bin").stat().st_ino
    ended_cleanly(cli(*args(inputs, "new", out)), 0)
    assert (out / "data" / "deep" / "big.bin").read_bytes() == b"\0" * 1000
    assert (out / "data" / "deep" / "big.bin").stat().st_ino == inode  # linked, not copied
    assert os.readlink(out / "link") == "data/deep"
    assert "camera-map output" in (out / "README.md").read_text("utf-8")


def test_a_pipe_in_the_folder_is_refused_not_deleted(
        inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "pipe")
    line = ended_cleanly(cli(*args(inputs, "new", out)), 1)
    assert "pipe" in line and "is not a file, folder or link" in line
    assert (out / "pipe").exists() and leftovers(out) == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_build_leaves_git_status_clean(inputs: dict[str, Path], tmp_path: Path) -> None:
    """The repository's own layout: output/.gitkeep tracked, the rest ignored."""
    repo = tmp_path / "repo"
    (repo / "output").mkdir(parents=True)
    (repo / "output" / ".gitkeep").write_bytes(b"")
    root = Path(__file__).resolve().parent.parent
    shutil.copy(root / ".gitignore", repo / ".gitignore")

    def git(*argv: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *argv],
                              cwd=repo, capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "placeholder")
    ended_cleanly(cli(*args(inputs, "new", Path("output")), cwd=repo), 0)
    assert (repo / "output" / "map.html").exists()
    assert git("status", "--porcelain", "--ignored=no") == ""
    proc = start_paused("camera_map._outdir", "_exchange", "before",
                        args(inputs, "old", Path("output")), cwd=repo)
    kill(proc)  # the leftovers of a killed build are ignored too
    assert git("status", "--porcelain", "--ignored=no") == ""


def test_every_file_reaches_the_disk_before_the_swap(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a power cut the folder must not hold the new names over data never written:
    each file and folder of the new build is fsync-ed before the swap, the parent after."""
    from camera_map import _outdir

    events: list[tuple[str, str]] = []
    real_fsync, real_swap = os.fsync, _outdir._swap

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def swap(stage: Path, target: Path) -> None:
        events.append(("swap", str(stage)))
        real_swap(stage, target)

    monkeypatch.setattr(_outdir.os, "fsync", fsync)
    monkeypatch.setattr(_outdir, "_swap", swap)
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("the user's", encoding="utf-8")
    with _outdir.staged_folder(target) as stage:
        (stage / "map.html").write_text("<html>", encoding="utf-8")
        (stage / "towns").mkdir()
        (stage / "towns" / "a.html").write_text("<html>", encoding="utf-8")
        stage_name = str(stage)
    kinds = [kind for kind, _ in events]
    swapped = kinds.index("swap")
    flushed = {path for kind, path in events[:swapped] if kind == "fsync"}
    assert {f"{stage_name}/map.html", f"{stage_name}/towns/a.html", f"{stage_name}/towns",
            f"{stage_name}/notes.txt", stage_name} <= flushed
    assert events[swapped + 1:] == [("fsync", str(tmp_path))]
    assert (target / "towns" / "a.html").exists() and (target / "notes.txt").exists()

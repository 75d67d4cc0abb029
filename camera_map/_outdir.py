"""Whole-folder output: a reader never sees an output folder that mixes two builds.

A build is written into a temporary folder beside the output folder
(``.<name>.camera-map-new-XXXX``) and swapped in at the end in one step
(``renameat2(RENAME_EXCHANGE)`` on Linux), so that at any moment — a crash, ``kill -9``,
a full disk — the folder holds either the whole previous build or the whole new one.

- **Your own files stay.** Anything in the folder that a build does not write (your notes,
  ``.gitkeep``, the ``towns/`` pages of ``camera-map town``) is carried into the new folder
  as a hard link (a copy where links are impossible) before the swap, so it is never
  deleted. Files a build writes (:data:`BUILD_FILES`) are replaced; one an earlier build
  wrote and this build does not (``cameras.fgb`` without ``--format fgb``) is dropped, so
  the folder never mixes builds.
- **One build at a time.** A lock file beside the folder (``.<name>.camera-map.lock``,
  ``fcntl.flock``) is held for the whole build; a second build into the same folder is
  refused at once, naming the process that holds it. The lock file is removed at the end.
- **Flushed before the swap.** Every file of the new build is ``fsync``-ed before the
  swap and the parent folder after it, so that after a power cut the folder does not
  hold the new names with data the disk never received.
- **Leftovers are cleaned.** Temporary folders of a build that was killed, and the
  ``.<file>.part-XXXX`` files of interrupted atomic writes, are removed by the next build
  into that folder.

Where the swap cannot be done in one step (no ``renameat2``: other systems, some file
systems), the old folder is renamed aside and the new one renamed into place; a crash
between those two renames (microseconds) leaves the old build aside, and the next build
puts it back before doing anything else. A folder that cannot be renamed at all (a mount
point, e.g. a Docker volume) is refused with a message: build into a folder inside it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputBusyError, OutputError

#: Every file a build may write; the ones a build does not rewrite are dropped at the swap.
BUILD_FILES = frozenset({
    "map.html", "map.png", "map.svg", "map.pdf", "municipalities.geojson", "cameras.geojson",
    "municipalities.csv", "cameras.csv", "camera-map.gpkg", "municipalities.fgb",
    "cameras.fgb", "rejected.csv", "conflicts.csv", "problems.csv", "sources.json",
    "summary.txt", "README.md",
})  # fmt: skip

#: The temporary file names of :func:`camera_map._io.atomic_path` (``.stem.part-XXXXXXXX.ext``).
PART_RE = re.compile(r"^\..*\.part-[a-z0-9_]{8}(\.[^.]*)?$")


def _prefix(target: Path) -> str:
    return f".{target.name}.camera-map-"


def lock_path(target: Path) -> Path:
    """The lock file of an output folder (beside it)."""
    return target.parent / f".{target.name}.camera-map.lock"


def _resolve(out: str | os.PathLike[str]) -> Path:
    target = Path(os.path.realpath(os.path.abspath(out)))  # a link to a folder: the folder
    if target.exists() and not target.is_dir():
        raise OutputError(f"output folder {str(out)!r} is a file; give a folder with --out")
    if target.parent == target:
        raise OutputError(f"output folder {str(out)!r} is the root of the file system; give "
                          "a folder inside it with --out")
    return target


@contextlib.contextmanager
def output_lock(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the lock of output folder ``out`` (yields the folder's real path).

    Raises :class:`~camera_map.errors.OutputBusyError` at once if another process holds it.
    """
    target = _resolve(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {str(out)!r}: "
                          f"{exc.strerror or exc}") from exc
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; builds are not serialised
        yield target
        return
    path = lock_path(target)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(
                f"cannot write beside output folder {str(out)!r} ({exc.strerror or exc}); "
                "camera-map writes a build into a temporary folder beside it, so the folder "
                "that holds it must be writable") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise OutputBusyError(
                f"another camera-map process (pid {holder}) is writing to {str(out)!r}; wait "
                "for it to finish, or build into another folder with --out") from None
        try:  # the file may have been removed by the holder we waited for: lock it anew
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield target
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still holding the lock: a waiter re-checks the inode
        os.close(fd)


def recover(target: Path) -> None:
    """Clean up after builds that were killed (call with the lock held).

    A folder set aside by an interrupted two-step swap is put back if the output folder is
    missing; every other temporary folder of a build into ``target`` is removed.
    """
    prefix = _prefix(target)
    leftovers = sorted(p for p in target.parent.iterdir()
                       if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink())
    if not target.exists():
        aside = [p for p in leftovers if p.name.startswith(prefix + "old-")]
        if aside:
            newest = max(aside, key=lambda p: p.stat().st_mtime)
            os.rename(newest, target)
            leftovers.remove(newest)
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty folder to write a build into; swap it in place of ``target`` when the
    block ends without error, carrying over the files a build does not write. On an error
    the staged folder is removed and ``target`` is untouched. Hold :func:`output_lock`."""
    recover(target)
    stage = Path(tempfile.mkdtemp(prefix=_prefix(target) + "new-", dir=target.parent))
    try:
        yield stage
        if target.exists():
            _carry_over(target, stage)
            with contextlib.suppress(OSError):
                os.chmod(stage, stat.S_IMODE(target.stat().st_mode))
        else:
            os.chmod(stage, 0o777 & ~_umask())
        _sync_tree(stage)
        _swap(stage, target)
        _sync_dir(target.parent)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)  # after the swap: the previous build


def _sync_tree(root: Path) -> None:
    """Flush every file and folder below ``root`` to the disk before the swap.

    The swap is atomic for running processes, but after a power cut the file system may
    have kept the rename and lost data still in the page cache: the new folder would be
    in place with empty or short files. Flushing first makes the swap the last thing that
    reaches the disk. Files carried over from the previous build are already there, so
    flushing them costs nothing.
    """
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _sync_dir(Path(folder))


def _sync_dir(folder: Path) -> None:
    """Flush a folder's entries (the names in it) to the disk, where the system can."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # e.g. Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _carry_over(old: Path, new: Path) -> None:
    """Link every entry of ``old`` that this build does not write into ``new``."""
    for entry in os.scandir(old):
        name = entry.name
        if (new / name).exists() or (name in BUILD_FILES) or PART_RE.match(name):
            continue
        _link_tree(Path(entry.path), new / name)


def _link_tree(src: Path, dst: Path) -> None:
    mode = src.lstat().st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISDIR(mode):
        dst.mkdir()
        shutil.copystat(src, dst, follow_symlinks=False)
        for entry in os.scandir(src):
            if not PART_RE.match(entry.name):  # e.g. towns/.x.part-XXXXXXXX.html
                _link_tree(Path(entry.path), dst / entry.name)
    elif stat.S_ISREG(mode):
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:  # a file system without hard links: copy
            shutil.copy2(src, dst, follow_symlinks=False)
    else:
        raise OutputError(f"{src} is not a file, folder or link (a pipe or a device); "
                          "camera-map replaces the output folder as a whole, so move it out "
                          "of the folder or choose another --out")


def _swap(stage: Path, target: Path) -> None:
    """Put ``stage`` at ``target`` in one step; the previous build ends up at ``stage``."""
    if not target.exists():
        os.rename(stage, target)
        return
    try:
        if _exchange(stage, target):
            return
    except OSError as exc:
        raise OutputError(
            f"cannot replace output folder {str(target)!r} ({exc.strerror or exc}); if it "
            "is a mount point (e.g. a Docker volume), build into a folder inside it") from exc
    aside = Path(tempfile.mkdtemp(prefix=_prefix(target) + "old-", dir=target.parent))
    os.rmdir(aside)
    os.rename(target, aside)
    os.rename(stage, target)
    os.rename(aside, stage)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux's renameat2; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))

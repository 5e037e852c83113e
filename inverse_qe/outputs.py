"""Writing results safely: checked before the work, atomic, never overwriting, never left half-done.

Every command that writes goes through this module:

* :class:`OutputFile` (one file: ``explain --out``, ``schema --out``, figures)
  and :class:`OutputDir` (a directory of results: ``run``) check the target
  when they are made, *before* any simulation: a target that exists is refused
  unless ``force``; a parent that is missing, a file, or not writable, a
  dangling symbolic link, a NUL in the path, each is a clear
  :class:`~inverse_qe.errors.OutputError` naming the path.
* The content is written under a temporary name in the target's own directory
  and renamed into place at the end (``rename`` is atomic), so a target is
  either complete or absent. Temporary names carry their owner (host, process
  id and start time); a ``finally`` removes them on any exit Python survives,
  and :func:`sweep_leftovers` removes those of dead owners (after a SIGKILL or
  a power cut) the next time anything is written there.
* A default directory name (``unique=True``) is claimed at the end by renaming
  onto the first free candidate (``name``, ``name_2``...): two processes started
  together both succeed, each with its own directory.
* File names built from user data (a scenario's name) go through
  :func:`safe_name` and :func:`inside`, so they always land inside the
  directory they are meant for.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inverse_qe.errors import OutputError, OutputExistsError

#: Marks a temporary name: ``.<name>.~iqe-<host>-<pid>-<start>-<random><suffix>``.
_TAG = "~iqe"
_LEFTOVER = re.compile(
    rf"^\..*\.{re.escape(_TAG)}-(?P<host>[0-9a-f]{{8}})-(?P<pid>\d+)-(?P<start>[0-9a-f]+)-[0-9a-z]+"
)
#: Characters kept by :func:`safe_name` (everything else becomes ``_``).
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")
#: Longest name built from user data (file systems allow 255 bytes; leave room for tags).
MAX_NAME = 100
#: Candidates tried for a default directory name before giving up.
MAX_CANDIDATES = 10_000


# -- names ------------------------------------------------------------------------------------
def safe_name(name: str, fallback: str = "output") -> str:
    """``name`` as a file name: letters, digits, ``_ - .`` only, no leading dot, no ``..``."""
    cleaned = _UNSAFE.sub("_", name)
    cleaned = re.sub(r"\.{2,}", "_", cleaned).lstrip(".-")[:MAX_NAME]
    return cleaned or fallback


def inside(directory: Path, name: str) -> Path:
    """``directory / safe_name(name)``, checked to stay inside ``directory``."""
    path = Path(directory) / safe_name(name)
    # safe_name already removes separators and "..": this guards against a future change.
    if path.absolute().parent != Path(directory).absolute():  # pragma: no cover
        raise OutputError(f"{name!r} would be written outside {directory}")
    return path


# -- owners of temporary names ----------------------------------------------------------------
@functools.cache
def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _start_time(pid: int) -> int | None:
    """A process's start time in centiseconds (``None`` if it is gone or a zombie)."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return round(process.create_time() * 100)
    except psutil.NoSuchProcess:
        return None
    except psutil.Error:  # pragma: no cover - access denied: assume it is alive
        return -1


def temporary_name(name: str, suffix: str = "") -> str:
    """A hidden temporary name for ``name`` that records this process as its owner."""
    pid = os.getpid()
    start = _start_time(pid) or 0
    stem = name[:MAX_NAME]
    return f".{stem}.{_TAG}-{_host()}-{pid}-{start:x}-{secrets.token_hex(3)}{suffix}"


def owner_alive(name: str) -> bool:
    """Whether the process that made the temporary ``name`` still runs (``True`` if unsure)."""
    match = _LEFTOVER.match(name)
    if match is None or match["host"] != _host():
        return True  # not ours, or made on another machine sharing this directory
    start = _start_time(int(match["pid"]))
    if start is None:
        return False
    # A reused process id has another start time (allow one tick of rounding).
    return start == -1 or abs(start - int(match["start"], 16)) <= 1


def sweep_leftovers(directory: Path) -> int:
    """Remove temporary files and directories in ``directory`` whose owner is dead.

    Returns:
        How many were removed (best effort: one that cannot be removed is left).
    """
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        if _LEFTOVER.match(entry.name) is None or owner_alive(entry.name):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed


def remove(path: Path) -> None:
    """Remove a file or a directory tree; nothing if it is already gone."""
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


# -- checks -----------------------------------------------------------------------------------
def _plain(path: Path, option: str) -> Path:
    text = os.fspath(path)
    if not text or "\0" in text:
        raise OutputError(f"{option} {text!r}: expected a path without NUL characters")
    return Path(text)


def _existing_ancestor(path: Path, option: str) -> Path:
    """The nearest ancestor of ``path`` that exists; it must be a writable directory."""
    parent = path.absolute().parent
    while not parent.exists():
        if parent.is_symlink():
            raise OutputError(f"{option} {path}: {parent} is a symbolic link to nothing")
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{option} {path}: {parent} is a file, not a directory")
    try:  # the real test: create (and remove) a file there
        probe = parent / temporary_name("probe")
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.unlink(probe)
    except OSError as error:
        raise OutputError(
            f"{option} {path}: cannot write in {parent} ({error.strerror}); choose another place"
        ) from None
    return parent


def _checked(check, path: Path, option: str) -> None:
    """Run a check; an ``OSError`` on the way (a name too long, a loop of links) names the path."""
    try:
        check()
    except OSError as error:
        if isinstance(error, OutputError):
            raise
        raise OutputError(f"{option} {path}: {error.strerror or error}") from None


def _ours(path: Path) -> bool:
    """A directory of inverse-qe results (``--force`` may replace only those)."""
    return (path / "manifest.json").is_file()


class OutputFile:
    """One output file, checked now and written atomically later.

    Args:
        path: the file to write.
        force: replace it if it exists.
        option: the option that named it (for messages), e.g. ``--out``.
        suffixes: allowed suffixes (lower case, with the dot); ``None`` allows any.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        force: bool = False,
        option: str = "--out",
        suffixes: tuple[str, ...] | None = None,
    ) -> None:
        self.path = _plain(Path(path), option)
        self.force = force
        self.option = option
        if suffixes is not None and self.path.suffix.lower() not in suffixes:
            raise OutputError(
                f"{option} {self.path}: expected a file ending in {', '.join(suffixes)}"
            )
        _checked(self.check, self.path, option)

    def check(self) -> None:
        """Refuse a target in the way (raises :class:`~inverse_qe.errors.OutputError`)."""
        path, option = self.path, self.option
        if path.is_dir():
            raise OutputError(f"{option} {path} is a directory; give a file name")
        if path.is_symlink() and not path.exists():
            raise OutputError(f"{option} {path} is a symbolic link to nothing; remove it first")
        if (path.exists() or path.is_symlink()) and not self.force:
            raise OutputExistsError(
                f"{option} {path} already exists; add --force to replace it or choose another name"
            )
        parent = path.absolute().parent
        if not parent.exists():
            raise OutputError(
                f"{option} {path}: directory {path.parent} does not exist; create it first"
            )
        _existing_ancestor(path, option)
        sweep_leftovers(parent)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Path]:
        """A temporary path (same directory and suffix) that replaces the target on success."""
        self.check()
        temporary = self.path.parent / temporary_name(self.path.name, self.path.suffix)
        try:
            yield temporary
            if not temporary.exists():
                raise OutputError(f"{self.option} {self.path}: nothing was written")
            if not self.force and (self.path.exists() or self.path.is_symlink()):
                raise OutputExistsError(
                    f"{self.option} {self.path} appeared while it was being written; nothing"
                    " was replaced"
                )
            os.replace(temporary, self.path)
        finally:
            remove(temporary)

    def write_bytes(self, data: bytes) -> Path:
        """Write ``data`` atomically; the path written."""
        with self.writing() as temporary:
            _write_synced(temporary, data)
        return self.path

    def write_text(self, text: str) -> Path:
        """Write UTF-8 text atomically; the path written."""
        return self.write_bytes(text.encode("utf-8"))


class OutputDir:
    """A directory of results, checked now, filled in a staging directory, renamed at the end.

    Use as a context manager around the writing: it yields the staging
    directory, and on success renames it to :attr:`path` (for ``unique``, the
    first free name ``path``, ``path_2``...); on any error it removes it.

    Args:
        path: the directory (or, with ``unique``, the first candidate name).
        force: replace an existing directory of inverse-qe results.
        unique: a default name: take the next free name instead of refusing.
        option: the option that named it, for messages.
    """

    def __init__(
        self, path: Path | str, *, force: bool = False, unique: bool = False, option: str = "--out"
    ) -> None:
        self.path = _plain(Path(path), option)
        self.force = force
        self.unique = unique
        self.option = option
        self.staging: Path | None = None
        _checked(self.check, self.path, option)

    def _in_the_way(self, path: Path) -> bool:
        if path.is_symlink() and not path.exists():
            return True
        return path.exists() and (not path.is_dir() or any(path.iterdir()))

    def check(self) -> None:
        """Refuse a target in the way (raises :class:`~inverse_qe.errors.OutputError`)."""
        path, option = self.path, self.option
        if path.is_symlink() and not path.exists():
            raise OutputError(f"{option} {path} is a symbolic link to nothing; remove it first")
        if not self.unique and path.exists():
            if not path.is_dir():
                raise OutputExistsError(f"{option} {path} is a file; choose a directory name")
            if self._in_the_way(path):
                if not self.force:
                    raise OutputExistsError(
                        f"{option} {path} already exists and is not empty; choose another"
                        f" {option} (or add --force to replace earlier results)"
                    )
                if not _ours(path):
                    raise OutputExistsError(
                        f"{option} {path} is not a directory of inverse-qe results (it has no"
                        " manifest.json); --force replaces only those: remove it yourself or"
                        f" choose another {option}"
                    )
        _existing_ancestor(path, option)
        if path.parent.is_dir():
            sweep_leftovers(path.parent)

    def __enter__(self) -> Path:
        self.check()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.parent / temporary_name(self.path.name)
        staging.mkdir()
        self.staging = staging
        return staging

    def __exit__(self, kind, error, trace) -> None:
        staging, self.staging = self.staging, None
        assert staging is not None
        try:
            if error is None:
                self.path = self._commit(staging)
        finally:
            remove(staging)

    def _commit(self, staging: Path) -> Path:
        if self.unique:
            base = self.path
            for n in range(1, MAX_CANDIDATES + 1):
                candidate = base if n == 1 else base.with_name(f"{base.name}_{n}")
                if self._in_the_way(candidate):
                    continue
                try:  # rename onto a missing or empty directory; atomic against a twin
                    os.rename(staging, candidate)
                except OSError as error:
                    if error.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                        continue
                    raise
                return candidate
            raise OutputError(f"{base}: no free name after {MAX_CANDIDATES} tries")
        if self.force and self.path.is_dir() and self._in_the_way(self.path):
            old = self.path.parent / temporary_name(self.path.name)
            os.rename(self.path, old)  # swept if we die before removing it
            try:
                os.rename(staging, self.path)
            except BaseException:
                os.rename(old, self.path)
                raise
            remove(old)
            return self.path
        try:
            os.rename(staging, self.path)
        except OSError as error:
            if error.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                raise OutputExistsError(
                    f"{self.option} {self.path} appeared while the results were being written;"
                    " nothing was replaced"
                ) from None
            raise
        return self.path


# -- atomic bytes -----------------------------------------------------------------------------
def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / temporary_name(path.name, ".tmp")
    try:
        _write_synced(temporary, data)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def write_figure(fig, path: Path, **savefig: Any) -> Path:
    """Render a matplotlib figure to PNG in memory and write it atomically.

    A figure is the slowest file to write, so it is the likeliest to be cut short by an
    interruption: rendered whole first, it replaces the old picture in one rename.
    ``savefig``: options for :meth:`~matplotlib.figure.Figure.savefig` (``dpi``, ...).
    """
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **savefig)
    write_atomically(path, buffer.getvalue())
    return Path(path)


def _write_synced(path: Path, data: bytes) -> None:
    """Create ``path`` (it must not exist) with ``data``, flushed to disk."""
    handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())

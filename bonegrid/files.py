"""Files in and out: every output written whole or not at all, every input checked as it is read.

A file is written under a temporary name in its own folder (``.NAME.PID.tmp.SUFFIX``: the
suffix kept, so Matplotlib, NumPy and Arrow see the format they expect) and renamed into
place, so a reader, a crash or a full disk never leaves half a file under the real name.
Output folders are checked before a simulation starts (:func:`check_folder`), so a bad
``--out`` costs nothing. A write that fails (full disk, read-only mount, quota) raises
:class:`OutputError`, and a file that cannot be read raises
:class:`~bonegrid.parameters.ParameterError`, each with one line naming the file.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> write_text(folder / "note.md", "hello")
>>> sorted(p.name for p in folder.iterdir())
['note.md']
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bonegrid.parameters import ParameterError


class OutputError(OSError):
    """A file or folder could not be written (full disk, read-only mount, no permission)."""


def _reason(err: OSError) -> str:
    """Say in a few words why a write failed, and what to do."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full: free some space or write elsewhere"
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the folder is read-only for you: choose another"
    return f"{err.strerror or err}: choose another folder"


def temporary(path: Path) -> Path:
    """Return the temporary name under which ``path`` is written (same folder, same suffix)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Write ``path`` by calling ``write(tmp)`` on a temporary name, then renaming it into place.

    Parameters
    ----------
    path : path
        The file to write; its folder must exist.
    write : callable
        Writes the whole file to the path it is given.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        If the file cannot be written; ``path`` is then unchanged and no temporary file is left.
    """
    path = Path(path)
    tmp = temporary(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OutputError:
        raise
    except OSError as err:
        raise OutputError(err.errno, f"cannot write {path}: {_reason(err)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write`)."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any, indent: int = 1) -> None:
    """Write ``data`` as JSON to ``path`` atomically (values JSON cannot hold are written as ``str``)."""
    write_text(path, json.dumps(data, indent=indent, default=str))


def make_folder(path: str | Path) -> Path:
    """Create the folder ``path`` and its parents (an existing one is fine); return it.

    Raises
    ------
    OutputError
        If it cannot be created.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(err.errno, f"cannot create the folder {path}: {_reason(err)}") from None
    return path


def _missing_top(path: Path) -> Path | None:
    """Return the outermost folder of ``path`` (itself included) that does not exist yet, or ``None``."""
    top = None
    for folder in (path, *path.parents):
        if folder.exists():
            break
        top = folder
    return top


def _move_into(source: Path, target: Path) -> None:
    """Move the contents of folder ``source`` into folder ``target``, each file by an atomic rename."""
    if not target.exists():
        os.replace(source, target)
        return
    for item in source.iterdir():
        if item.is_dir():
            _move_into(item, target / item.name)
        else:
            os.replace(item, target / item.name)


@contextlib.contextmanager
def staged_folder(path: str | Path) -> Iterator[Path]:
    """Write a folder whole or not at all: yield a temporary folder beside ``path``, then move it into place.

    A new ``path`` appears by one rename; into an existing one each file is renamed over
    the old. If the block raises, the temporary folder and any folders made for it are
    removed, and ``path`` is as it was.

    Raises
    ------
    OutputError
        If a folder cannot be made or the files cannot be moved.
    """
    path = Path(path).absolute()
    created = _missing_top(path.parent)
    stage = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    done = False
    try:
        make_folder(stage)
        yield stage
        try:
            _move_into(stage, path)
        except OSError as err:
            raise OutputError(err.errno, f"cannot write {path}: {_reason(err)}") from None
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not done and created is not None:
            shutil.rmtree(created, ignore_errors=True)


def check_folder(path: str | Path, option: str) -> None:
    """Check, writing nothing, that ``path`` is a folder that exists or can be created, and is writable.

    Parameters
    ----------
    path : path
        The output folder.
    option : str
        How the user named it (``--out``), for the message.

    Raises
    ------
    ParameterError
        If it is a file, lies under a file, or it or the nearest existing folder above it is not writable.
    """
    path = Path(path)
    where = f"{option}={str(path)!r}"
    if path.exists() and not path.is_dir():
        raise ParameterError(f"{where} is not allowed: it exists and is not a folder")
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ParameterError(f"{where} is not allowed: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"{where} is not allowed: {existing} is not writable: choose a folder you can write to")


def check_file(path: str | Path, option: str) -> None:
    """Check, writing nothing, that the file ``path`` can be written: not a folder, its folder writable.

    Raises
    ------
    ParameterError
        As :func:`check_folder`, or if ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"{option}={str(path)!r} is not allowed: it is a folder: give the path of a file")
    check_folder(path.parent, f"{option} folder")


def read(path: str | Path, reader: Callable[[Path], Any], what: str) -> Any:
    """Return ``reader(path)``; a file that is missing, damaged or not what it should be gives one line.

    Parameters
    ----------
    path : path
        The file.
    reader : callable
        Reads and checks it (raising ``ValueError``, ``KeyError``, ``OSError``... if it is damaged).
    what : str
        What the file should be, for the message ("the run's time series").

    Raises
    ------
    ParameterError
        Naming the file, what it should be and what went wrong.
    """
    path = Path(path)
    try:
        return reader(path)
    except ParameterError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, EOFError, OSError, zipfile.BadZipFile) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ParameterError(f"{path}: cannot read {what}, the file is damaged ({detail[:160]})") from None


__all__ = ["OutputError", "atomic_write", "check_file", "check_folder", "make_folder", "read", "staged_folder",
           "temporary", "write_json", "write_text"]

"""Writing several outputs so that they appear together or not at all."""
from __future__ import annotations

import contextlib
import os
import shutil


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


@contextlib.contextmanager
def staged(*targets: str):
    """Yields one temporary path per target path (a file, or a directory the caller makes).

    Each temporary path lies beside its target and keeps its extension (numpy and PIL
    choose formats by it). When the block ends without an error, every temporary path is
    renamed onto its target, replacing what was there; on an error they are all removed,
    with any directory made for them, and every target is left as it was. The renames are on one file system, each atomic,
    so only the last few system calls separate the first output from the last.
    """
    temporary, made = [], []
    for index, target in enumerate(targets):
        parent, name = os.path.split(os.path.abspath(target))
        missing = parent
        while not os.path.exists(missing):
            made.append(missing)
            missing = os.path.dirname(missing)
        os.makedirs(parent, exist_ok=True)
        stem, extension = os.path.splitext(name)
        temporary.append(os.path.join(parent, f".{stem}.partial-{os.getpid()}-{index}{extension}"))
    finished = False
    try:
        yield temporary
        for path, target in zip(temporary, targets):
            if os.path.isdir(target) and not os.path.islink(target):
                replaced = path + ".replaced"
                os.rename(target, replaced)  # a directory cannot be renamed onto another
                os.rename(path, target)
                _remove(replaced)
            else:
                os.replace(path, target)
        finished = True
    finally:
        for path in temporary:
            _remove(path)
        if not finished:
            for directory in sorted(set(made), key=len, reverse=True):  # deepest first
                with contextlib.suppress(OSError):  # not empty: something else lives there
                    os.rmdir(directory)

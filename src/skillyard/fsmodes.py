"""File modes for what skillyard writes into other tools' folders.

``tempfile`` creates private files (0600) and folders (0700); installed skills, lockfiles and
sync records must be readable like any file the user writes, so they get the user's umask.
Scripts (files starting with ``#!``) are made executable, since the library stores content
only and an agent told to run ``scripts/x.sh`` needs the bit.
"""

from __future__ import annotations

import os
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_public(path: Path, *, directory: bool = False) -> None:
    """Give a temp-created file or folder the mode a normal create would have."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def mark_script(path: Path, data: bytes) -> None:
    """Make a written file executable when its content is a script (starts with ``#!``)."""
    if data.startswith(b"#!"):
        os.chmod(path, 0o777 & ~_umask())

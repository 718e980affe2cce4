"""Which files a command works on: the files named and the files under folders named."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alliance.errors import InvalidInput


def walk(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the files under folders named (sorted, hidden ones skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.exists():
            files.append(path)
        else:
            raise InvalidInput(f"{path}: no such file or folder")
    return files

"""Content-addressed artifact folders: a version's model files live under their SHA-256.

A registration copies the model folder into ``<root>/<d[:2]>/<d>`` (``d``: the
digest of the files' digests) through a staging folder renamed into place, so a
crash leaves either nothing or a complete folder; the registry row that points
at it is written afterwards. Loading re-hashes every file against the row, so a
changed byte is refused before any of it is deserialised.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from automl._core import ArtifactError, sha256_file
from automl._core._atomic import DIR_MODE, FILE_MODE

log = logging.getLogger(__name__)

_STAGING = ".staging"


def folder_digest(files: dict[str, str]) -> str:
    """One digest for a folder: the SHA-256 of its sorted ``name:sha256`` lines."""
    lines = "".join(f"{name}:{files[name]}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def digest_files(folder: Path) -> dict[str, str]:
    """``{file name: sha256}`` of a model folder's regular, non-hidden files."""
    files = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}
    if not files:
        raise ArtifactError(f"model folder '{folder}' has no files")
    return files


class ArtifactStore:
    """The folder of a registry's artifacts."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, source: str | Path) -> tuple[str, dict[str, str]]:
        """Copy the model folder ``source`` into the store; return its digest and file digests.

        The copies are hashed again after writing: a source that changed while it was
        copied, or a bad write, is refused instead of recorded under the wrong digest.
        """
        source = Path(source)
        if not source.is_dir():
            raise ArtifactError(f"model folder not found: '{source}'")
        files = digest_files(source)
        digest = folder_digest(files)
        target = self.path(digest)
        if target.exists():
            self.verify(digest, files, f"the stored copy of '{source}'")
            return digest, files
        staging_root = self.root / _STAGING
        staging_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{digest[:12]}.", dir=staging_root))
        try:
            for name in files:
                _copy_synced(source / name, staging / name)
            if digest_files(staging) != files:
                raise ArtifactError(f"model folder '{source}' changed while it was being registered; try again")
            os.chmod(staging, DIR_MODE)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(staging, target)
            except OSError:
                if not target.exists():
                    raise
                shutil.rmtree(staging, ignore_errors=True)  # a concurrent writer stored the same content first
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        log.info("stored artifact %s", target)
        return digest, files

    def verify(self, digest: str, files: dict[str, str], owner: str) -> Path:
        """The artifact folder, after checking every recorded file's SHA-256.

        Raises:
            ArtifactError: a file is missing or its bytes differ from what ``owner`` recorded.
        """
        folder = self.path(digest)
        for name, expected in sorted(files.items()):
            path = folder / name
            if not path.is_file():
                raise ArtifactError(f"artifact file '{path}' of {owner} is missing")
            actual = sha256_file(path)
            if actual != expected:
                raise ArtifactError(
                    f"artifact file '{path}' of {owner} was changed: its sha256 is {actual[:12]}..., "
                    f"the registry records {expected[:12]}...; refusing to load it"
                )
        return folder

    def orphans(self, referenced: set[str]) -> list[Path]:
        """Stored folders no version points at (left by a registration that crashed before its row)."""
        found = [p for p in self.root.glob("??/*") if p.is_dir() and p.name not in referenced]
        return sorted(found)


def _copy_synced(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(target, FILE_MODE)

"""Reading and writing the .qdpx zip: a ``project.qde`` and a flat ``sources/`` folder.

A .qdpx comes from someone else, so it is read as hostile until shown otherwise:

- member names that would land outside a folder they were extracted into (absolute paths,
  ``..``, drive letters, backslashes) reject the whole archive — qualkit never extracts to
  disk, but a file that tries this is not one to trust for anything else;
- only the members qualkit needs are decompressed, each streamed against a cap (the sizes
  in the zip's directory are the sender's claim, not a fact), and a member whose declared
  compression ratio is absurd is refused before it is inflated (a zip bomb);
- the member count is capped, so a directory of millions of entries cannot exhaust memory.

Writing goes to a temporary file beside the target, renamed over it when complete.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from qualkit.errors import FileError
from qualkit.fileio import replacing

PROJECT_FILE = "project.qde"
SOURCES = "sources"
MAX_MEMBER_BYTES = 256 * 1024 * 1024
"""Most a member qualkit reads (project.qde or one text source) may inflate to."""
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
"""Most all members read from one archive may inflate to together."""
MAX_RATIO = 200
"""Text compresses 3-10 times; a member claiming more than this is a zip bomb."""
RATIO_FLOOR = 1024 * 1024
"""Members smaller than this are not ratio-checked (tiny files compress oddly)."""
MAX_MEMBERS = 100_000


def _escapes(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in PurePosixPath(name).parts


class Archive:
    """An open .qdpx; read members by name (exact, else case-insensitive)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_total = 0
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise FileError(path, f"is not a .qdpx (zip) archive ({exc})") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            self.close()
            raise FileError(path, f"holds {len(infos)} members; more than {MAX_MEMBERS} is "
                                  "not a QDA project")
        for info in infos:
            if _escapes(info.filename):
                self.close()
                raise FileError(path, f"member {info.filename!r} points outside the archive's "
                                      "folder; this archive is refused")
        self.members = {i.filename: i for i in infos if not i.is_dir()}
        self._folded = {name.casefold(): name for name in self.members}

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def find(self, name: str) -> str | None:
        if name in self.members:
            return name
        return self._folded.get(name.casefold())

    def read(self, name: str) -> bytes:
        """A member's bytes, inflated under the caps."""
        info = self.members[name]
        where = f"{self.path}: {name}"
        if info.file_size > MAX_MEMBER_BYTES:
            raise FileError(where, f"would inflate to {info.file_size} bytes, more than the "
                                   f"{MAX_MEMBER_BYTES} qualkit reads; refused")
        if (info.file_size > RATIO_FLOOR
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise FileError(where, f"inflates {info.file_size // max(info.compress_size, 1)} "
                                   "times its packed size (a zip bomb?); refused")
        limit = min(MAX_MEMBER_BYTES, MAX_TOTAL_BYTES - self.read_total)
        chunks: list[bytes] = []
        size = 0
        try:
            with self.zip.open(info) as handle:
                while block := handle.read(1 << 20):
                    size += len(block)
                    if size > limit:
                        raise FileError(where, "inflates past the size qualkit reads from "
                                               "an archive; refused")
                    chunks.append(block)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise FileError(where, f"cannot be read from the archive ({exc})") from None
        except NotImplementedError as exc:
            raise FileError(where, f"uses a compression qualkit cannot read ({exc})") from None
        self.read_total += size
        return b"".join(chunks)


def write_archive(path: Path, project: bytes, members: Mapping[str, bytes]) -> None:
    """Write ``project.qde`` and the other members (``sources/…``) to ``path`` atomically.

    Entries get a fixed timestamp so the same project exports to the same bytes."""
    with replacing(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [(PROJECT_FILE, project), *members.items()]:
            info = zipfile.ZipInfo(name, date_time=(2019, 3, 18, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)

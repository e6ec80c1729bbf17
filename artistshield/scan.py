"""Checking many suspects for every member of a union: here, or on a Dask cluster.

A union that scans crawls of images runs the same check an artist runs
(:func:`artistshield.check.check_file`, the union's epoch keys, the shared
registry) on each file, one task a file.  Without a cluster the tasks run
here, one after another; with ``--cluster tcp://HOST:8786`` they run on a
Dask distributed cluster (the ``cluster`` extra), whose workers open the
shared registry once each from a folder they can all read.

Dask fits this better than Ray: the check is plain Python over numpy, each
task a file, with no shared state but a read-only registry, and
``distributed`` installs as pure Python, where Ray ships its own scheduler
binaries for each platform.

The keys travel to the workers with the tasks: run the cluster on a private
network (or with Dask's TLS security settings).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artistshield.errors import ArtistShieldError

#: The most a downloaded suspect may weigh.
DOWNLOAD_LIMIT = 64 * 2**20
DOWNLOAD_TIMEOUT = 30


@dataclass(frozen=True)
class ScanResult:
    """What the check found in one scanned file, small enough to send back."""

    input: str
    found: bool
    work_id: str | None
    member: str | None
    verdict: str
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_list(path: str | os.PathLike[str]) -> list[str]:
    """The files or URLs listed one a line in *path* (blank lines and ``#`` comments skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtistShieldError(f"The list {path} cannot be read: {exc}.") from exc
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def scan(
    items: Iterable[str],
    *,
    keys: Mapping[str, bytes],
    registry: str | os.PathLike[str],
    cluster: str | None = None,
    progress: Callable[[ScanResult], None] | None = None,
    started: Callable[[str], None] | None = None,
) -> list[ScanResult]:
    """Check every item (a path or an http(s) URL); results in the order given.

    *progress* is told of each result as it comes; *started* of each item as its
    check starts, when they are checked here (on a cluster they start out of sight).
    """
    items = list(items)
    folder = str(Path(registry).resolve())
    if cluster is None:
        results = []
        for item in items:
            if started is not None:
                started(item)
            results.append(check_one(item, dict(keys), folder))
            if progress is not None:
                progress(results[-1])
        return results
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ArtistShieldError(
            "Scanning on a cluster needs Dask: pip install 'artistshield[cluster]'."
        ) from None
    try:
        client = Client(cluster, timeout="20s")
    except OSError as exc:
        raise ArtistShieldError(f"No Dask scheduler answered at {cluster} ({exc}).") from exc
    with client:
        futures = client.map(check_one, items, keys=dict(keys), folder=folder, pure=False)
        if progress is not None:
            for future in as_completed(futures):
                progress(future.result())
        return list(client.gather(futures))


_OPEN: dict[str, Any] = {}
"""Each worker process's shared registry, opened once per folder."""


def check_one(item: str, keys: Mapping[str, bytes], folder: str) -> ScanResult:
    """Check one file or URL against the shared registry in *folder*; never raises."""
    from artistshield.check import check_file
    from artistshield.union.shared import UnionRegistry

    try:
        registry = _OPEN.get(folder)
        if registry is None:
            registry = _OPEN[folder] = UnionRegistry(folder)
        with _local_copy(item) as path:
            # a member marks with one epoch's key: the search stops at the first found
            result = check_file(path, keys=keys, registry=registry, provenance=False, one_mark=True)
    except ArtistShieldError as exc:
        return ScanResult(item, False, None, None, "not checked", str(exc))
    if result.error is not None:
        return ScanResult(item, False, None, None, "not checked", result.error)
    mark = result.mark
    work_id = mark.work_id if mark is not None and mark.detection.found else None
    if work_id is None:
        matched = [m for m in result.matches if m.is_match]
        work_id = matched[0].work_id if matched else None
    member = registry.describe(work_id) if work_id is not None else None
    return ScanResult(item, work_id is not None, work_id, member, result.verdict)


@contextlib.contextmanager
def _local_copy(item: str) -> Any:
    """A path to *item*: itself, or a size-limited download of an http(s) URL."""
    scheme = urllib.parse.urlsplit(item).scheme
    if scheme not in ("http", "https"):
        yield Path(item)
        return
    suffix = Path(urllib.parse.urlsplit(item).path).suffix[:8]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"suspect{suffix}"
        try:
            with urllib.request.urlopen(item, timeout=DOWNLOAD_TIMEOUT) as answer:
                data = answer.read(DOWNLOAD_LIMIT + 1)
        except OSError as exc:
            raise ArtistShieldError(f"{item} could not be downloaded ({exc}).") from exc
        if len(data) > DOWNLOAD_LIMIT:
            raise ArtistShieldError(f"{item} is larger than {DOWNLOAD_LIMIT >> 20} MB; skipped.")
        path.write_bytes(data)
        yield path

"""Data releases: store versions given a name (a tag), kept from pruning, and readable later by that name.

Why: the people who cite the graph (a policy memo, a research paper) need to say which data they read, and to read
it again after the data moved on, as ESCO's ``selectedVersion`` allows. A release names the current version with a
tag, who made it, when and why; ``releases.json`` beside the versions (``STORE/releases.json``) records every
release ever made, in the order made. A released version is never pruned (``EmbeddedStore._prune`` keeps the
versions :func:`released_versions` names, with their kept tables and derived data); how many releases are kept is a
setting, and when a new release makes one too many, the oldest are let go: their entry stays in the file, marked
with when and why it was let go, and their versions are then pruned like any other.

Only a store that keeps its old versions can do this: an embedded store. A SPARQL server holds one version (a
build replaces its graphs), so releasing on one, or pinning a read to a release there, is refused saying so.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ..errors import CertbridgeError, InvalidValue, NotFound, StoreError
from .base import CURRENT, VERSION_PREFIX, GraphStore

#: the file of releases, in the store's working directory
RELEASES_FILE = "releases.json"
#: a tag: a letter or digit, then letters, digits, dots, dashes or underscores (a URL path segment as it is)
TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: what ``releases.keep`` defaults to when no setting says otherwise
DEFAULT_KEEP = 20  # api/settings.py Settings.keep_releases (CERTBRIDGE_KEEP_RELEASES)


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """A named store version: its tag, the version, who made it, when (UTC, ISO 8601) and why."""

    tag: str
    version: str
    at: str
    writer: str
    note: str
    #: when the retention setting let it go (its version may be pruned since), else None
    let_go_at: str | None = None
    #: why it was let go (the retention setting and its value)
    let_go_reason: str | None = None

    @property
    def kept(self) -> bool:
        return self.let_go_at is None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def check_tag(tag: str) -> str:
    """*tag* if it is a valid release tag; InvalidValue saying what a tag may be otherwise."""
    if not TAG.fullmatch(tag) or tag.startswith(VERSION_PREFIX) or tag == CURRENT:
        raise InvalidValue(
            f"{tag!r} is not a release tag",
            hint="a tag is 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit, and neither "
            f"'{CURRENT}' nor starting with '{VERSION_PREFIX}' (those name versions), e.g. 2026-12 or v2026.1",
        )
    return tag


def releases(store: GraphStore) -> list[Release]:
    """Every release ever made at *store*, oldest first, those let go included (empty for a server store)."""
    path = store.workdir / RELEASES_FILE
    if not path.is_file():
        return []
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        return [Release(**record) for record in records]
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"{path} is not a list of releases ({type(exc).__name__}: {exc})",
            hint="restore it from a backup; certbridge writes it whole and atomically",
        ) from None


def released_versions(workdir: Path) -> set[str]:
    """The names of the versions kept releases name: never pruned. Unreadable file: refuse to prune at all."""
    path = workdir / RELEASES_FILE
    if not path.is_file():
        return set()
    records = json.loads(path.read_text(encoding="utf-8"))  # an error here stops pruning, never a release lost
    return {record["version"] for record in records if record.get("let_go_at") is None}


def _refuse_server(store: GraphStore) -> None:
    if not store.keeps_versions:
        raise StoreError(
            f"the store at {store.location} is a SPARQL server, which holds one version only: it cannot keep a "
            "release nor answer as of one",
            hint="releases and pinned reads (?release=) need the embedded store (--store DIR)",
        )


def make_release(store: GraphStore, tag: str, *, note: str, writer: str, keep: int = DEFAULT_KEEP) -> Release:
    """Name the current version *tag*; then let the oldest releases go while more than *keep* are kept.

    Refuses a malformed or taken tag (a tag names one version for ever, even once let go), an empty note or
    writer, and a server store. Made under the store's write lock, so that no write swaps versions meanwhile.
    """
    check_tag(tag)
    _refuse_server(store)
    if keep < 1:
        raise InvalidValue(f"keep={keep}: at least one release must be kept")
    if not writer.strip():
        raise CertbridgeError("a release needs a named writer", hint="name yourself with --writer")
    if not note.strip():
        raise CertbridgeError("a release needs a note saying what it is", hint="say it with --note")
    with store.write_lock():
        version, _ = store.snapshot()
        made = releases(store)
        if any(release.tag == tag for release in made):
            raise CertbridgeError(
                f"the release {tag!r} exists already", hint="a tag names one version for ever: choose another"
            )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        release = Release(tag=tag, version=version.name, at=now, writer=writer.strip(), note=note.strip())
        made.append(release)
        kept = [r for r in made if r.kept]
        surplus = {r.tag for r in kept[: max(0, len(kept) - keep)]}
        reason = f"more than {keep} releases kept (the setting CERTBRIDGE_KEEP_RELEASES)"
        made = [replace(r, let_go_at=now, let_go_reason=reason) if r.tag in surplus else r for r in made]
        _write(store.workdir / RELEASES_FILE, made)
    return release


def _write(path: Path, made: list[Release]) -> None:
    """Write the releases whole and atomically (a reader sees the old file or the new one)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump([r.to_json() for r in made], handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def release_named(store: GraphStore, tag: str) -> Release:
    """The kept release *tag*; NotFound when there is none (or it was let go, saying when)."""
    if not store.keeps_versions:
        raise NotFound(
            f"no release {tag!r}: the store is a SPARQL server, which keeps no releases",
            hint="releases and pinned reads need the embedded store",
        )
    for release in releases(store):
        if release.tag == tag:
            if not release.kept:
                raise NotFound(
                    f"the release {tag!r} was let go on {release.let_go_at}: {release.let_go_reason}",
                    hint="see the releases kept: certbridge releases (GET /api/v1/releases)",
                )
            return release
    raise NotFound(f"no release {tag!r}", hint="see the releases kept: certbridge releases (GET /api/v1/releases)")


def version_of(store: GraphStore, name: str) -> Path:
    """The version *name* names: ``current``, a kept release's tag, or a version kept on disk (``v-…``)."""
    if name == CURRENT:
        return store.snapshot()[0]
    if name.startswith(VERSION_PREFIX):
        path = store.version_path(name)
        if path is None:
            raise NotFound(
                f"no version {name!r} is kept in the store"
                + ("" if store.keeps_versions else " (a SPARQL server keeps only the current one)"),
                hint="name a release, a version listed by certbridge releases, or current",
            )
        return path
    release = release_named(store, name)
    path = store.version_path(release.version)
    if path is None:
        raise StoreError(f"the version {release.version} of the release {name!r} is missing from the store")
    return path

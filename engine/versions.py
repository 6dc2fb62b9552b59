"""Reading pathway versions and their files (used by publishing, cases and queries)."""
from __future__ import annotations

import functools
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .bundles import MANIFEST, parse_manifest
from .errors import PathwayNotFoundError
from .models import Pathway, PathwayVersion, VersionFile
from .views import VersionView


def latest_published(session: Session, key: str) -> tuple[Pathway, PathwayVersion]:
    """Raises: PathwayNotFoundError when no version of ``key`` is published."""
    row = session.execute(
        sa.select(Pathway, PathwayVersion).join(PathwayVersion, PathwayVersion.pathway_id == Pathway.id)
        .where(Pathway.key == key, PathwayVersion.status == "published")
        .order_by(PathwayVersion.number.desc()).limit(1)).first()
    if row is None:
        raise PathwayNotFoundError(f"there is no published pathway {key!r}")
    return row[0], row[1]


def file_text(session: Session, version_id: int, name: str, rt=None) -> str | None:
    """A version's file by exact path or by base name (how BPMN names forms), decoded.

    With ``rt`` (the runtime) the answer is cached: published versions are immutable.
    """
    if rt is not None:
        return rt.version_file(version_id, name, lambda: file_text(session, version_id, name))
    paths = session.scalars(sa.select(VersionFile.path).where(VersionFile.version_id == version_id)).all()
    match = next((p for p in paths if p == name), None) or next((p for p in paths if p.endswith("/" + name)), None)
    if match is None:
        return None
    content = session.scalar(sa.select(VersionFile.content).where(
        VersionFile.version_id == version_id, VersionFile.path == match))
    return content.decode("utf-8")


def files(session: Session, version_id: int) -> dict[str, bytes]:
    return {f.path: f.content for f in session.scalars(
        sa.select(VersionFile).where(VersionFile.version_id == version_id)).all()}


def to_view(pathway: Pathway, version: PathwayVersion, paths: tuple[str, ...] = ()) -> VersionView:
    return VersionView(id=version.id, pathway_key=pathway.key, pathway_name=pathway.name, number=version.number,
                       status=version.status, content_hash=version.content_hash, process_id=version.process_id,
                       settings=json.loads(version.settings_json), roles=tuple(json.loads(version.roles_json)),
                       published_at=version.published_at, files=paths)


def manifest(session: Session, version_id: int, rt=None):
    """The version's parsed manifest (``pathway.yaml``), or None for a version stored without one.

    Raises: PathwayInvalidError (not for a published version: publication parsed it already).
    """
    text = file_text(session, version_id, MANIFEST, rt)
    return _parsed_manifest(text) if text else None


@functools.lru_cache(maxsize=256)
def _parsed_manifest(text: str):
    # Keyed by the manifest's text, which a published version never changes: parse the YAML once.
    return parse_manifest(text.encode())

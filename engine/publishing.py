"""Publishing pathway versions and loading the shipped ones (``pathways init``)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
import yaml

from . import audit, codec, messages, versions
from .bundles import Bundle, discover, read_folder
from .errors import ConfigurationError, PathwayInvalidError, Problem
from .models import Pathway, PathwayVersion, Role, VersionFile
from .runtime import Runtime
from .views import Actor, PublishResult


def load_roles_file(path: Path) -> list[tuple[str, str]]:
    """``[(name, description)]`` from a ``roles.yaml``.

    Raises:
        ConfigurationError: missing or malformed file.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [(str(r["name"]), str(r.get("description", ""))) for r in data["roles"]]
    except FileNotFoundError:
        raise ConfigurationError(f"no roles file at {path}") from None
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"{path}: expected 'roles: [{{name:, description:}}, ...]' ({exc})") from None


def sync_roles(rt: Runtime, roles: list[tuple[str, str]]) -> None:
    """Add new roles and refresh descriptions; roles are never deleted (users may hold them)."""
    with rt.db.transaction() as session:
        _sync_roles_in(session, roles)


def _sync_roles_in(session, roles: list[tuple[str, str]]) -> None:
    existing = {r.name: r for r in session.scalars(sa.select(Role))}
    for name, description in roles:
        if name in existing:
            existing[name].description = description
        else:
            session.add(Role(name=name, description=description))


def known_roles(rt: Runtime) -> set[str]:
    with rt.db.reading() as session:
        return set(session.scalars(sa.select(Role.name)))


def _lane_roles(spec, subprocess_specs: dict) -> list[str]:
    roles = set()
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in (s.task_specs.values() if s is not None else []):
            if getattr(task_spec, "manual", False) and task_spec.lane:
                roles.add(task_spec.lane)
    return sorted(roles)


def _prepare(bundle: Bundle, roles: set[str]) -> tuple:
    """Validate a bundle and build its specs, outside any transaction.

    Raises:
        PathwayInvalidError: every problem found.
    """
    from .validation import build_specs, check_bundle, process_ids

    problems = check_bundle(bundle.files, known_roles=roles)
    process_id = bundle.manifest.process_id
    if not problems and process_id not in process_ids(bundle.files):
        problems = [Problem("pathway.yaml", None, "", f"process {process_id!r} is not in the pathway's BPMN")]
    if problems:
        raise PathwayInvalidError(problems)
    return build_specs(bundle.files, process_id)


def _publish_in(session, rt: Runtime, bundle: Bundle, specs: tuple, actor: Actor) -> PublishResult:
    spec, subs = specs
    content_hash = bundle.content_hash
    now = rt.now()
    pathway = session.scalars(sa.select(Pathway).where(Pathway.key == bundle.manifest.key)
                              .with_for_update()).first()
    if pathway is None:
        pathway = Pathway(key=bundle.manifest.key, name=bundle.manifest.name, created_at=now)
        session.add(pathway)
        session.flush()
    same = session.scalars(sa.select(PathwayVersion).where(
        PathwayVersion.pathway_id == pathway.id, PathwayVersion.content_hash == content_hash,
        PathwayVersion.status == "published")).first()
    if same is not None:
        return PublishResult(pathway.key, versions.to_view(pathway, same), created=False)
    number = (session.scalar(sa.select(sa.func.max(PathwayVersion.number))
                             .where(PathwayVersion.pathway_id == pathway.id)) or 0) + 1
    pathway.name = bundle.manifest.name
    version = PathwayVersion(
        pathway_id=pathway.id, number=number, status="published", content_hash=content_hash,
        process_id=bundle.manifest.process_id, name=bundle.manifest.name,
        settings_json=json.dumps(bundle.manifest.settings), roles_json=json.dumps(_lane_roles(spec, subs)),
        spec_json=codec.spec_to_json(spec, subs), start_message=messages.start_message(spec), created_at=now, created_by_id=actor.user_id,
        published_at=now, published_by_id=actor.user_id)
    session.add(version)
    session.flush()
    for path, content in sorted(bundle.files.items()):
        session.add(VersionFile(version_id=version.id, path=path, content=content,
                                sha256=hashlib.sha256(content).hexdigest()))
    audit.append(session, chain=f"pathway:{pathway.id}", case_id=None, at=now, actor_id=actor.user_id,
                 actor_name=actor.username, action="version_published",
                 summary=f"published {pathway.key} version {number}",
                 after={"version": number, "content_hash": content_hash, "files": sorted(bundle.files)})
    return PublishResult(pathway.key, versions.to_view(pathway, version, tuple(sorted(bundle.files))), True)


def publish(rt: Runtime, bundle: Bundle, actor: Actor) -> PublishResult:
    """Validate and publish ``bundle`` as the newest version of its pathway, in one transaction.

    Publishing the same content again creates nothing and returns the existing version.

    Raises:
        PathwayInvalidError: the bundle fails validation (every problem is listed).
    """
    specs = _prepare(bundle, known_roles(rt))
    with rt.db.transaction() as session:
        return _publish_in(session, rt, bundle, specs, actor)


def load_folder(rt: Runtime, processes_dir: Path, forms_dir: Path, actor: Actor) -> list[PublishResult]:
    """Load ``roles.yaml`` and publish every pathway folder under ``processes_dir``, all or nothing.

    Everything is validated first; then the roles and every new version are written in one
    transaction, so a failed load leaves the database as it was.

    Raises:
        ConfigurationError: no roles file, or a malformed one.
        PathwayInvalidError: the problems of every invalid pathway (nothing is published).
    """
    roles = load_roles_file(processes_dir / "roles.yaml")
    role_names = {name for name, _ in roles}
    prepared, problems = [], []
    for folder in discover(processes_dir):
        try:
            bundle = read_folder(folder, forms_dir)
            prepared.append((bundle, _prepare(bundle, role_names)))
        except PathwayInvalidError as exc:
            problems.extend(_located(folder, p) for p in exc.problems)
    if problems:
        raise PathwayInvalidError(problems)
    with rt.db.transaction() as session:
        _sync_roles_in(session, roles)
        return [_publish_in(session, rt, bundle, specs, actor) for bundle, specs in prepared]


def _located(folder: Path, problem: Problem) -> Problem:
    """A bundle-relative problem path made relative to where the user looks (the pathway folder)."""
    if Path(problem.file).is_absolute() or problem.file.startswith(str(folder)):
        return problem
    return Problem(str(folder / problem.file), problem.line, problem.element_id, problem.message)


def export(rt: Runtime, target: Path) -> list[Path]:
    """Write the latest published version of every pathway to ``target/<key>/``."""
    written = []
    with rt.db.reading() as session:
        for pathway in session.scalars(sa.select(Pathway).order_by(Pathway.key)):
            _, version = versions.latest_published(session, pathway.key)
            for path, content in versions.files(session, version.id).items():
                out = target / pathway.key / path
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(content)
                written.append(out)
    return written

"""Scenarios: YAML scripts that drive a pathway through the engine and check where it goes.

A scenario lives with its pathway (``processes/<pathway>/scenarios/*.yaml``, part of the bundle)
and runs headless on a throwaway SQLite database with a simulated clock. The format is documented
in processes/README.md ("Scenarios"); in short::

    name: Late screening escalates to the Team Manager
    clock: "2026-11-23T09:00:00+00:00"      # optional; the simulated clock's start
    users: {dsw: [Duty Social Worker]}        # optional; by default one user per role (see below)
    steps:
      - start: {as: dsw, data: {...}}                           # optional `case:` alias, `pathway:`
      - complete: {task: initial_screening, as: dsw, data: {...}}
      - complete: {task: sign_off, as: dsw, data: {...}, expect_error: PermissionDeniedError}
      - use: {case: referral, linked_from: main, pathway: front_door}   # a case another case started
      - clock: {advance: PT2H1M}      # or {working_days: 3} or {to: <ISO>} or {next_timer: true}
      - assert: {ready: [...], path: [...], not_reached: [...], data: {...}, outcome: [...],
                 status: active, timers: [...]}

Default users are named after their role (``Duty Social Worker`` -> ``duty-social-worker``) plus a
second one per role with ``-2`` appended, for four-eyes checks. Moving the clock fires due timers.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import errors as errors_module
from .bundles import discover
from .clock import FixedClock
from .errors import PathwaysError, TaskNotReadyError
from .publishing import load_roles_file
from .views import Actor
from .workdays import add_working_days

DEFAULT_START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)  # a Monday, 09:00
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


class ScenarioFailure(Exception):
    """A scenario step did not do what the scenario says (not an engine error: a test failure)."""


@dataclass
class ScenarioResult:
    file: str
    name: str
    pathway: str
    passed: bool
    message: str = ""
    flows_taken: set[str] = field(default_factory=set)


def role_username(role: str, n: int = 1) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", role.lower()).strip("-")
    return base if n == 1 else f"{base}-{n}"


def find_scenarios(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if p.parent.name == "scenarios"))
        elif path.is_file():
            found.append(path)
    return found


def pathway_key_for(scenario: Path) -> str | None:
    from .bundles import MANIFEST, parse_manifest

    for parent in scenario.resolve().parents:
        manifest = parent / MANIFEST
        if manifest.is_file():
            return parse_manifest(manifest.read_bytes(), str(manifest)).key
    return None


class Runner:
    """Runs scenarios against copies of one prepared database (pathways published, users made)."""

    def __init__(self, processes_dir: Path, forms_dir: Path):
        from .facade import Engine

        self._tmp = Path(tempfile.mkdtemp(prefix="pathways-scenarios-"))
        self.template = self._tmp / "template.sqlite"
        self.clock = FixedClock(DEFAULT_START)
        engine = Engine(f"sqlite:///{self.template}", clock=self.clock)
        engine.upgrade_database()
        engine.sync_roles(load_roles_file(processes_dir / "roles.yaml"))
        # Each pathway on its own: one invalid pathway fails its own scenarios, not everyone's.
        self.load_errors: dict[str, str] = {}
        for folder in discover(processes_dir):
            key = pathway_key_for(folder / "pathway.yaml") or folder.name
            try:
                engine.publish_folder(folder, forms_dir, Actor.system())
            except PathwaysError as exc:
                problems = getattr(exc, "problems", None)
                self.load_errors[key] = "; ".join(str(p) for p in problems[:5]) if problems else str(exc)
        for role in sorted(engine.known_roles()):
            for n in (1, 2):
                engine.add_user(role_username(role, n), f"{role} {n}", [role])
        engine.dispose()
        self._count = 0

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    def run(self, path: Path) -> ScenarioResult:
        from .facade import Engine

        key = pathway_key_for(path) or ""
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list):
                raise ScenarioFailure("a scenario is a mapping with a list of steps")
        except (yaml.YAMLError, ScenarioFailure, UnicodeDecodeError) as exc:
            return ScenarioResult(str(path), path.stem, key, False, f"cannot read the scenario: {exc}")
        key = doc.get("pathway", key)
        name = str(doc.get("name") or path.stem)
        if key in self.load_errors:
            return ScenarioResult(str(path), name, key, False, f"the pathway did not load: {self.load_errors[key]}")
        self._count += 1
        db = self._tmp / f"run{self._count}.sqlite"
        shutil.copy(self.template, db)
        self.clock.set(_when(doc.get("clock")) if doc.get("clock") else DEFAULT_START)
        engine = Engine(f"sqlite:///{db}", clock=self.clock)
        run = _Run(engine, key, doc.get("users") or {})
        try:
            for number, step in enumerate(doc["steps"], start=1):
                try:
                    run.step(step)
                except ScenarioFailure as exc:
                    return ScenarioResult(str(path), name, key, False, f"step {number} ({_label(step)}): {exc}",
                                          run.flows())
                except PathwaysError as exc:
                    return ScenarioResult(str(path), name, key, False,
                                          f"step {number} ({_label(step)}): {_describe(exc)}", run.flows())
            return ScenarioResult(str(path), name, key, True, "", run.flows())
        finally:
            engine.dispose()
            db.unlink(missing_ok=True)


def _when(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _describe(exc: PathwaysError) -> str:
    fields = getattr(exc, "field_errors", None)
    if fields:
        return f"{type(exc).__name__}: " + "; ".join(f"{k or 'form'}: {', '.join(v)}" for k, v in fields.items())
    return f"{type(exc).__name__}: {exc}"


def _label(step) -> str:
    if not isinstance(step, dict) or not step:
        return "?"
    kind = next(iter(step))
    body = step[kind] if isinstance(step[kind], dict) else {}
    return f"{kind} {body.get('task', '')}".strip()


def _duration(text: str) -> dt.timedelta:
    match = _DURATION.match(str(text))
    if not match or not any(match.groups()):
        raise ScenarioFailure(f"{text!r} is not a duration like PT2H or P3DT4H")
    d, h, m, s = (int(g or 0) for g in match.groups())
    return dt.timedelta(days=d, hours=h, minutes=m, seconds=s)


class _Run:
    """One scenario's state: its engine, its cases by alias, the flows taken."""

    def __init__(self, engine, pathway: str, users: dict):
        self.engine = engine
        self.pathway = pathway
        self.cases: dict[str, int] = {}
        self._flows: set[str] = set()
        for username, roles in users.items():
            if username not in {u.username for u in engine.list_users()}:
                engine.add_user(str(username), str(username), list(roles))

    def flows(self) -> set[str]:
        return set(self._flows)

    def _actor(self, body: dict):
        if "as" not in body:
            raise ScenarioFailure("say who does it: `as: <username>`")
        return self.engine.actor(str(body["as"]))

    def _case(self, body: dict) -> int:
        alias = str(body.get("case", "main"))
        if alias not in self.cases:
            raise ScenarioFailure(f"no case {alias!r} has been started")
        return self.cases[alias]

    def _observer(self):
        # Reading for assertions is not an action of the scenario's users: a reader with every role.
        return Actor(None, "scenario", frozenset(self.engine.known_roles()))

    def _record(self, case_id: int) -> None:
        self._flows.update(self.engine.case_trace(case_id, self._observer()).flows_taken)

    def step(self, step) -> None:
        if not isinstance(step, dict) or len(step) != 1:
            raise ScenarioFailure("each step is a mapping with one key: start, complete, use, clock or assert")
        kind, body = next(iter(step.items()))
        body = body or {}
        handler = getattr(self, f"_do_{kind}", None)
        if handler is None:
            raise ScenarioFailure(f"unknown step {kind!r}: use start, complete, use, clock or assert")
        expected = body.pop("expect_error", None) if isinstance(body, dict) else None
        message = body.pop("message", None) if isinstance(body, dict) else None
        if expected is None:
            handler(body)
            return
        error_class = getattr(errors_module, str(expected), None)
        if not (isinstance(error_class, type) and issubclass(error_class, PathwaysError)):
            raise ScenarioFailure(f"{expected!r} is not an engine error (see engine/errors.py)")
        try:
            handler(body)
        except error_class as exc:
            if message and str(message).lower() not in str(exc).lower():
                raise ScenarioFailure(f"{expected} said {str(exc)!r}, which does not mention {message!r}") from None
            return
        raise ScenarioFailure(f"expected {expected}, but the step succeeded")

    def _do_start(self, body: dict) -> None:
        view = self.engine.start_case(str(body.get("pathway", self.pathway)), body.get("data") or {},
                                      self._actor(body))
        self.cases[str(body.get("case", "main"))] = view.id
        self._record(view.id)

    def _do_complete(self, body: dict) -> None:
        case_id = self._case(body)
        element = body.get("task")
        view = self.engine.get_case(case_id, self._observer())
        matches = [t for t in view.ready_tasks if t.element_id == element]
        if not matches:
            # The engine's own error, so that a scenario can expect it (e.g. completing a task twice).
            raise TaskNotReadyError(f"{element!r} is not ready; ready: {sorted(t.element_id for t in view.ready_tasks)}")
        self.engine.complete_task(case_id, matches[0].id, body.get("data") or {}, self._actor(body))
        self._record(case_id)

    def _do_use(self, body: dict) -> None:
        """Name a case another case started: ``use: {case: referral, linked_from: main, pathway: front_door}``."""
        source = self._case({"case": body.get("linked_from", "main")})
        links = [link for link in self.engine.get_case(source, self._observer()).links
                 if link.direction == "raised" and link.pathway_key == body.get("pathway", link.pathway_key)]
        if not links:
            raise ScenarioFailure(f"case {body.get('linked_from', 'main')!r} has started no "
                                  f"{body.get('pathway', '')} case".replace("  ", " "))
        self.cases[str(body.get("case", "linked"))] = links[-1].case_id

    def _do_clock(self, body: dict) -> None:
        now = self.engine.clock.now()
        if "advance" in body:
            target = now + _duration(body["advance"])
        elif "working_days" in body:
            target = add_working_days(now, int(body["working_days"]))
        elif "to" in body:
            target = _when(body["to"])
        elif body.get("next_timer"):
            dues = [t.due_at for cid in self.cases.values() for t in self.engine.get_case(cid, self._observer()).timers]
            if not dues:
                raise ScenarioFailure("no timer is waiting")
            target = min(dues) + dt.timedelta(seconds=1)
        else:
            raise ScenarioFailure("a clock step needs advance, working_days, to or next_timer")
        if target < now:
            raise ScenarioFailure("the clock cannot go back")
        self.engine.clock.set(target)
        result = self.engine.tick()
        if result.errors:
            raise ScenarioFailure("; ".join(result.errors))
        for case_id in self.cases.values():
            self._record(case_id)

    def _do_assert(self, body: dict) -> None:
        case_id = self._case(body)
        view = self.engine.get_case(case_id, self._observer())
        trace = self.engine.case_trace(case_id, self._observer())
        checks = {"ready", "path", "not_reached", "data", "outcome", "status", "timers", "case"}
        unknown = set(body) - checks
        if unknown:
            raise ScenarioFailure(f"unknown assertion(s) {sorted(unknown)}; use {sorted(checks - {'case'})}")
        if "ready" in body and sorted(body["ready"]) != sorted(t.element_id for t in view.ready_tasks):
            raise ScenarioFailure(f"ready tasks are {sorted(t.element_id for t in view.ready_tasks)}, "
                                  f"expected {sorted(body['ready'])}")
        if "path" in body:
            _in_order(list(body["path"]), list(trace.completed))
        for element in body.get("not_reached", []):
            if element in trace.completed + trace.active + trace.waiting:
                raise ScenarioFailure(f"{element!r} was reached")
        for key, value in (body.get("data") or {}).items():
            if view.data.get(key) != value:
                raise ScenarioFailure(f"data {key!r} is {view.data.get(key)!r}, expected {value!r}")
        missing = [e for e in body.get("outcome", []) if e not in trace.ended]
        if missing:
            raise ScenarioFailure(f"end event(s) {missing} not reached; reached: {list(trace.ended)}")
        if "status" in body and view.status != body["status"]:
            raise ScenarioFailure(f"case status is {view.status!r}, expected {body['status']!r}")
        if "timers" in body and sorted(body["timers"]) != sorted(t.element_id for t in view.timers):
            raise ScenarioFailure(f"timers waiting are {sorted(t.element_id for t in view.timers)}, "
                                  f"expected {sorted(body['timers'])}")


def _in_order(expected: list[str], completed: list[str]) -> None:
    position = 0
    for element in expected:
        try:
            position = completed.index(element, position) + 1
        except ValueError:
            raise ScenarioFailure(f"path: {element!r} was not completed after the elements before it; "
                                  f"completed in order: {completed}") from None


@dataclass
class Coverage:
    pathway: str
    total: int
    covered: int
    missing: tuple[str, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0


def coverage(results: list[ScenarioResult], files_by_pathway: dict[str, dict[str, bytes]]) -> list[Coverage]:
    """Per pathway: how many of its sequence flows the scenarios took."""
    from .trace import sequence_flows

    out = []
    for key, files in sorted(files_by_pathway.items()):
        flows = sequence_flows(files)
        taken = set().union(*[r.flows_taken for r in results if r.pathway == key]) if results else set()
        missing = tuple(f for f in flows if f not in taken)
        out.append(Coverage(key, len(flows), len(flows) - len(missing), missing))
    return out


def run_scenarios(paths: list[Path], processes_dir: Path, forms_dir: Path) -> tuple[list[ScenarioResult], list[Coverage]]:
    """Run the scenarios found in ``paths`` (files or folders); return results and coverage.

    Coverage is given for each pathway that has at least one scenario among those run.

    A pathway that does not load fails its own scenarios with the reason; the others still run.

    Raises:
        ConfigurationError: no usable roles file.
    """
    from .bundles import read_folder

    runner = Runner(processes_dir, forms_dir)
    try:
        results = [runner.run(p) for p in find_scenarios(paths)]
    finally:
        runner.close()
    ran = {r.pathway for r in results}
    bundles = {}
    for folder in discover(processes_dir):
        try:
            bundle = read_folder(folder, forms_dir)
        except PathwaysError:
            continue  # its scenarios already failed with the reason
        if bundle.manifest.key in ran:
            bundles[bundle.manifest.key] = bundle.files
    return results, coverage(results, bundles)

"""The pathway validator: every check a pathway's files must pass before a case can run on them.

Pathway files are edited in a browser by service managers, so they are hostile input: XML is
parsed by :mod:`engine.xmlsafe`, every expression is compiled under the sandbox policy and no
parser exception escapes; each finding is a :class:`~engine.errors.Problem` with the file, the
line and the element id.

A bundle is ``files: dict[str, bytes]`` (relative POSIX path -> content): ``*.bpmn``, ``*.dmn``,
``*.schema.json`` forms and ``*.uischema.json`` UI schemas, ``pathway.yaml`` (its summary and its
letters, whose ``*.txt`` templates are checked) and scenarios (ignored here).

The checks, in order:

1. each BPMN/DMN file is safe, well-formed XML and is the kind of document its name says;
2. it is valid against SpiffWorkflow's XSDs (every schema error, with its line);
3. ids are unique across the bundle;
4. sequence flows connect elements that exist, in the same process;
5. gateways: every non-default outgoing flow has a condition; ``default`` is an outgoing flow;
6. conditions, scripts, timers, ``dueAt``, message and multi-instance expressions and DMN cells
   compile under :func:`engine.sandbox.check_source`; timers are quoted, valid ISO 8601;
7. user tasks sit in a lane named after a known role and name an existing, valid form;
   forms' own declarations (``x-pathways-consent``) name their fields; the manifest's ``summary``
   names fields of the forms;
8. call activities, business rule tasks and message events refer to things that exist; the
   manifest's letters name templates that exist and compile (:mod:`engine.validation_letters`);
9. files with no problem so far are built with ``SpiffBpmnParser(validator=VALIDATOR)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import PathwayInvalidError, Problem
from engine.validation_bpmn import BundleIndex, check_structure, check_unique_ids, is_executable
from engine.validation_common import BPMN_NS, FORM_PROPERTY, HUMAN_TASKS, UI_FORM_PROPERTY, Doc, Problems, properties
from engine.validation_dmn import check_dmn, decisions_of
from engine.validation_expr import check_expressions
from engine.validation_forms import check_form_file, check_ui_file, is_form_file, is_ui_file
from engine.validation_manifest import check_manifests
from engine.validation_paths import collect, find_roles_file, load_roles, read_roles
from engine.validation_specs import build_process, load_parser, new_parser
from engine.validation_xsd import classify, validate_schema
from engine.xmlsafe import parse_xml

__all__ = ["build_specs", "check_bundle", "check_paths", "form_names", "load_roles", "process_ids"]


@dataclass
class _Result:
    problems: Problems
    docs: list[Doc]
    index: BundleIndex
    built: dict[str, tuple] = field(default_factory=dict)


def check_bundle(files: dict[str, bytes], *, known_roles: set[str] | None) -> list[Problem]:
    """Check every file of a pathway bundle.

    Args:
        files: Bundle path -> content.
        known_roles: Role names a lane may have; None skips the lane-to-role check.

    Returns:
        Every problem found, sorted by file and line; [] if the bundle is valid.

    Raises:
        Nothing for bad input: every parser or validator failure becomes a Problem.
    """
    return _check(files, known_roles).problems.sorted()


def build_specs(files: dict[str, bytes], process_id: str) -> tuple:
    """Validate the bundle and build the SpiffWorkflow specs of one executable process.

    Args:
        files: Bundle path -> content.
        process_id: The id of an executable ``bpmn:process`` in the bundle.

    Returns:
        ``(spec, subprocess_specs)``: a ``BpmnProcessSpec`` and the dict of the specs it calls,
        ready for ``BpmnWorkflow(spec, subprocess_specs)``.

    Raises:
        PathwayInvalidError: The bundle has any problem (lane roles are not checked here), or it
            has no executable process ``process_id``.
    """
    result = _check(files, None)
    problems = result.problems.sorted()
    if problems:
        raise PathwayInvalidError(problems)
    if process_id not in result.built:
        known = ", ".join(sorted(result.built)) or "none"
        raise PathwayInvalidError([Problem("pathway.yaml" if "pathway.yaml" in files else "", None, process_id,
                                           f"no executable process {process_id!r} in the pathway's BPMN files "
                                           f"(executable processes: {known})")])
    return result.built[process_id]


def process_ids(files: dict[str, bytes]) -> list[str]:
    """The ids of the executable processes in the bundle's BPMN files, sorted.

    Files that cannot be parsed are skipped (``check_bundle`` reports them); never raises.
    """
    return sorted(pid for pid, (_, executable) in _index(_lenient_docs(files), files).processes.items() if executable)


def form_names(files: dict[str, bytes], process_id: str | None = None) -> set[str]:
    """The form file names (``formJsonSchemaFilename`` and ``formUiSchemaFilename`` values) in the bundle.

    Args:
        files: Bundle path -> content.
        process_id: If given, only forms of this process and of the processes it calls (transitively).

    Returns:
        The names as written in the BPMN (file names, looked up in a bundle by basename).
        Files that cannot be parsed are skipped; never raises.
    """
    docs = _lenient_docs(files)
    processes = {p.get("id"): p for doc in docs for p in doc.xpath("/bpmn:definitions/bpmn:process[@id]")}
    if process_id is None:
        roots = list(processes.values())
    else:
        roots, todo, seen = [], [process_id], set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in processes:
                continue
            seen.add(pid)
            roots.append(processes[pid])
            todo.extend(c.get("calledElement") for c in processes[pid].iter(f"{{{BPMN_NS}}}callActivity"))
    names = set()
    for process in roots:
        for node in process.iter(*(f"{{{BPMN_NS}}}{kind}" for kind in (*HUMAN_TASKS, "startEvent"))):
            for prop in (FORM_PROPERTY, UI_FORM_PROPERTY):
                value = properties(node).get(prop)
                if value is not None and value.get("value"):
                    names.add(value.get("value"))
    return names


def check_paths(paths: list[str], *, known_roles: set[str] | None = None) -> list[Problem]:
    """Check pathway files and folders on disk (``pathways check PATH...``).

    Folders are searched recursively for ``*.bpmn``, ``*.dmn``, ``*.schema.json``,
    ``*.uischema.json``, ``pathway.yaml`` and ``*.txt`` (letter templates). Files are checked together per pathway folder (the nearest folder with a
    ``pathway.yaml``), otherwise per folder; forms a diagram names are also looked up in the
    nearest ``forms/`` folder beside an ancestor of each given path (so ``processes/`` finds the
    sibling ``forms/``). If ``known_roles`` is None, the nearest ``roles.yaml`` in the given folders
    or their parents supplies them; with none found, lanes are not checked against roles.

    Args:
        paths: Files or folders, as the user typed them.
        known_roles: Role names lanes may have, or None to look for ``roles.yaml``.

    Returns:
        Every problem, with file names as the user gave them (relative stays relative).

    Raises:
        Nothing for bad input: a missing path or an unreadable file is a Problem.
    """
    problems: set[Problem] = set()
    groups, found = collect(paths, form_names)
    problems.update(found)
    if known_roles is None:
        roles_file = find_roles_file(paths)
        if roles_file is not None:
            known_roles, roles_problems = read_roles(*roles_file)
            problems.update(roles_problems)
    for group in groups:
        reported = set(group.reported)
        # Problems of context files (the rest of a pathway folder, loaded so references resolve) are
        # left out: the user did not ask about them.
        problems.update(p for p in check_bundle(group.files, known_roles=known_roles)
                        if p.file in reported or not p.file)
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.element_id, p.message))


# -- internals ---------------------------------------------------------------------------------


def _check(files: dict[str, bytes], known_roles: set[str] | None) -> _Result:
    problems = Problems()
    docs = _parse_docs(files, problems, schema=True)
    result = _Result(problems, docs, _index(docs, files))
    _guarded(problems, "", check_unique_ids, docs, problems)
    for doc in docs:
        if doc.kind == "bpmn":
            _guarded(problems, doc.path, check_structure, doc, result.index, known_roles, problems)
            _guarded(problems, doc.path, check_expressions, doc, problems)
        else:
            _guarded(problems, doc.path, check_dmn, doc, problems)
    for path in sorted(files):
        if is_form_file(path):
            _guarded(problems, path, check_form_file, path, files[path], problems)
        elif is_ui_file(path):
            _guarded(problems, path, check_ui_file, path, files[path], problems)
    _guarded(problems, "pathway.yaml", check_manifests, files, docs, known_roles, problems)  # summary, letters
    _guarded(problems, "", _build, result)
    return result


def _guarded(problems: Problems, path: str, check, *args) -> None:
    """Run one check; a bug in it becomes a problem of the file instead of an error page.

    Why: the validator runs on hostile uploads, and a crash would hide every other finding.
    """
    try:
        check(*args)
    except Exception as exc:  # noqa: BLE001 - reported, never swallowed silently
        problems.add(path, None, f"the validator failed on this file ({type(exc).__name__}: {exc}); please report "
                     "this as a bug", element_id="")


def _parse_docs(files: dict[str, bytes], problems: Problems, schema: bool) -> list[Doc]:
    docs = []
    for path in sorted(files):
        if not path.endswith((".bpmn", ".dmn")):
            continue
        try:
            doc = Doc(path, parse_xml(files[path], path))
        except PathwayInvalidError as exc:
            problems.extend(exc.problems)
            continue
        if classify(doc, problems):
            if schema:
                validate_schema(doc, problems)
            docs.append(doc)
    return docs


def _lenient_docs(files: dict[str, bytes]) -> list[Doc]:
    """The BPMN files that parse, for the helpers that must never raise."""
    return [d for d in _parse_docs(files, Problems(), schema=False) if d.kind == "bpmn"]


def _index(docs: list[Doc], files: dict[str, bytes]) -> BundleIndex:
    processes: dict[str, tuple[str, bool]] = {}
    decisions: dict[str, str] = {}
    for doc in docs:
        if doc.kind == "bpmn":
            for process in doc.xpath("/bpmn:definitions/bpmn:process[@id]"):
                processes.setdefault(process.get("id"), (doc.path, is_executable(process)))
        else:
            found = decisions_of(doc)
            if found and found[0].get("id"):  # SpiffWorkflow reads the first decision only
                decisions.setdefault(found[0].get("id"), doc.path)
    return BundleIndex(processes, decisions, frozenset(files))


def _build(result: _Result) -> None:
    """Build the specs of every executable process whose file, and every file it needs, is clean."""
    dirty = result.problems.files()
    clean = [d for d in result.docs if d.path not in dirty]
    if not clean:
        return
    parser = new_parser()
    loaded = load_parser(parser, clean, result.problems)
    ready = {d.path for d in loaded}
    for doc in loaded:
        if doc.kind != "bpmn" or not _needs(doc, result) <= ready:
            continue
        for process in doc.xpath("/bpmn:definitions/bpmn:process"):
            if is_executable(process) and process.get("id"):
                built = build_process(parser, process.get("id"), doc, result.docs, result.problems)
                if built is not None:
                    result.built[process.get("id")] = built


def _needs(doc: Doc, result: _Result) -> set[str]:
    """The files ``doc`` needs to build: called processes' and decisions' files, transitively."""
    by_path = {d.path: d for d in result.docs}
    needed, todo = {doc.path}, [doc]
    while todo:
        current = todo.pop()
        refs = [result.index.processes.get(c.get("calledElement") or "", (None,))[0]
                for c in current.xpath("//bpmn:callActivity")]
        refs += [result.index.decisions.get(r.text or "")
                 for r in current.xpath("//bpmn:businessRuleTask/bpmn:extensionElements/"
                                        "spiffworkflow:calledDecisionId")]
        for path in refs:
            if path is None:
                needed.add("")  # a missing target: never buildable (already reported)
            elif path not in needed:
                needed.add(path)
                if path in by_path and by_path[path].kind == "bpmn":
                    todo.append(by_path[path])
    return needed


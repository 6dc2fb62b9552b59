"""Every role against every screen and API action: allowed where its lanes allow, refused otherwise.

The expected answer of every cell is worked out here from the shipped pathway files (the lanes of
``processes/*/*.bpmn``, start events' ``startRoles``), never asked of the engine, so a permission
check that disagrees with the diagrams fails this test.

The callers are the demo users of ``pathways init --demo`` (one per role of processes/roles.yaml),
a user holding no role, an administrator holding none, and nobody signed in. Each pathway is walked through its scenarios (their
``start`` and ``complete`` steps, up to the first step of another kind); every task the walk makes
ready is tried once by every caller:

=============================================  ================================  ========  =======
action                                         allowed when the caller holds     allowed   refused
=============================================  ================================  ========  =======
``GET /cases/<id>``, ``GET /api/cases/<id>``,  a lane of the pathway             200       403
``GET /api/cases/<id>/audit``, task page GET
``POST /cases/<id>/tasks/<t>`` (no fields)     the task's lane                   400 [1]   403
``POST /api/cases/<id>/tasks/<t>/complete``    the task's lane                   422 [1]   403
``POST /api/.../claim`` then ``release``       the task's lane                   204       403
``POST /inbox/claim``                          the task's lane                   claimed   not
``POST /cases/<id>/tasks/<t>`` (save a draft)  the task's lane                   303       403
``POST /api/cases`` (a scenario's start data)  a start role of the pathway       201       403
``GET /contacts/new?pathway=<key>``            a start role of the pathway       200       403
``GET /inbox``, ``GET /api/tasks``             any role: only its own work       200       -
letter preview, ``POST .../record``            a role of the manifest's letter   200/303   403
a recorded letter, its PDF                     a lane of the pathway             200       403
``/admin/users...`` pages and forms            the administrator flag            200/303   403
=============================================  ================================  ========  =======

[1] The probe submissions are invalid on purpose (no fields; a field name no form has), so an
allowed caller gets the form's errors and nothing changes: the walk's cases stay where they are.
Signed out, every page redirects to the sign-in page and every API call is a 401.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from lxml import etree

from engine import Engine
from tests.integration.front_door_cases import LETTER, USERS as CASE_USERS, early_help_case
from tests.web.test_ui_auth import csrf_of, sign_in
from web.app import create_app
from web.cli import demo_username

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
PASSWORD = "matrix-password-1"
NO_ROLE = "no-role"
ADMIN = "matrix-admin"  # an administrator holding no lane role
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
PROBE = {"_matrix_probe": "not a field of any form"}

ROLES = [r["name"] for r in yaml.safe_load((PROCESSES / "roles.yaml").read_text())["roles"]]
USERS = {demo_username(role): role for role in ROLES}  # username -> its one role
CALLERS = [*USERS, NO_ROLE]


# -- what the pathway files say ------------------------------------------------------------------

@lru_cache(maxsize=None)
def pathway_files(key: str) -> dict:
    """Lanes, the lane of each element and the start roles of the pathway ``key``, from its BPMN."""
    folder = next(p.parent for p in PROCESSES.glob("*/pathway.yaml")
                  if yaml.safe_load(p.read_text())["key"] == key)
    lane_of: dict[str, str] = {}
    start_roles: set[str] = set()
    manifest = yaml.safe_load((folder / "pathway.yaml").read_text())
    for path in sorted(folder.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for lane in root.iter(f"{BPMN}lane"):
            for ref in lane.iter(f"{BPMN}flowNodeRef"):
                lane_of[ref.text.strip()] = lane.get("name")
        for process in root.iter(f"{BPMN}process"):
            if process.get("id") != manifest["process"]:
                continue
            for start in process.findall(f"{BPMN}startEvent"):
                listed = [p.get("value") for p in start.iter(f"{SPIFF}property") if p.get("name") == "startRoles"]
                if listed:
                    start_roles |= {r.strip() for r in listed[0].split(",") if r.strip()}
                elif start.get("id") in lane_of:
                    start_roles.add(lane_of[start.get("id")])
    return {"folder": folder, "lanes": frozenset(lane_of.values()), "lane_of": lane_of,
            "start_roles": frozenset(start_roles)}


def pathway_keys() -> list[str]:
    return sorted(yaml.safe_load(p.read_text())["key"] for p in PROCESSES.glob("*/pathway.yaml"))


def role_of(username: str) -> str | None:
    return USERS.get(username)


# -- the world: the shipped pathways, the demo users, one signed-in client each -----------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    database = tmp_path_factory.mktemp("matrix") / "matrix.sqlite"
    engine = Engine(f"sqlite:///{database}")
    engine.upgrade_database()
    engine.load_pathways(PROCESSES, ROOT / "forms")
    tokens = {}
    for username, role in USERS.items():
        engine.add_user(username, f"Demo {role}", [role], password=PASSWORD)
    engine.add_user(NO_ROLE, "No role", [], password=PASSWORD)
    engine.add_user(ADMIN, "Administrator", [], password=PASSWORD, admin=True)
    for username, (name, user_roles) in CASE_USERS.items():  # who drives the letters' case
        engine.add_user(username, name, user_roles, password=PASSWORD)
    for username in [*CALLERS, ADMIN]:
        tokens[username] = engine.create_token(username, "matrix")
    app = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "matrix",
                      "REFERRAL_RATE_LIMIT": (10_000, 60)})
    clients = {}
    for username in [*CALLERS, ADMIN]:
        client = app.test_client()
        assert sign_in(client, username, PASSWORD).status_code == 303, username
        clients[username] = client
    yield {"engine": engine, "app": app, "clients": clients, "tokens": tokens}
    engine.dispose()


def api(world, username, method, url, body=None):
    headers = {"Authorization": f"Bearer {world['tokens'][username]}"}
    return world["app"].test_client().open(url, method=method, json=body, headers=headers)


# -- walking a pathway through its scenarios -------------------------------------------------------

def walk(world, key: str):
    """Yield ``(case, its ready tasks, who started it)`` after each start/complete step of each scenario."""
    engine = world["engine"]
    for path in sorted((pathway_files(key)["folder"] / "scenarios").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        case_id = None
        for step in doc["steps"]:
            kind, spec = next(iter(step.items()))
            if kind == "start" and case_id is None and not spec.get("expect_error") and not spec.get("pathway"):
                starter = spec.get("as") or demo_username(sorted(pathway_files(key)["start_roles"])[0])
                if starter not in USERS:
                    break
                case_id = engine.start_case(key, spec.get("data") or {}, engine.actor(starter)).id
            elif kind == "complete" and case_id is not None and not spec.get("case"):
                if spec.get("expect_error"):
                    continue
                actor = engine.actor(spec["as"]) if spec.get("as") in USERS else None
                ready = [t for t in engine.get_case(case_id, actor).ready_tasks if t.element_id == spec["task"]] \
                    if actor else []
                if len(ready) != 1:
                    break
                engine.complete_task(case_id, ready[0].id, spec.get("data") or {}, actor)
            else:
                break
            case = engine.get_case(case_id, engine.actor(starter))
            yield case, case.ready_tasks, starter
            if case.status != "active":
                break


def expect(allowed: bool, yes: int, no: int = 403) -> int:
    return yes if allowed else no


# -- the matrix ------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", pathway_keys())
def test_every_role_against_every_case_and_task_action(world, key):
    """Case pages, task pages and task actions of every task the pathway's scenarios reach."""
    files = pathway_files(key)
    engine, clients = world["engine"], world["clients"]
    seen_tasks: set[str] = set()
    checked_case = False
    problems: list[str] = []

    def check(what: str, got: int, wanted: int) -> None:
        if got != wanted:
            problems.append(f"{what}: got {got}, expected {wanted}")

    for case, ready, starter in walk(world, key):
        reader = engine.actor(starter)
        if not checked_case:
            checked_case = True
            for user in CALLERS:
                may_read = role_of(user) in files["lanes"] or user == starter
                check(f"{user} GET /cases/{case.id}", clients[user].get(f"/cases/{case.id}").status_code,
                      expect(may_read, 200))
                check(f"{user} GET /api/cases/{case.id}", api(world, user, "GET", f"/api/cases/{case.id}").status_code,
                      expect(may_read, 200))
                check(f"{user} GET audit", api(world, user, "GET", f"/api/cases/{case.id}/audit").status_code,
                      expect(may_read, 200))
        for task in ready:
            if task.element_id in seen_tasks:
                continue
            seen_tasks.add(task.element_id)
            lane = files["lane_of"].get(task.element_id)
            assert lane, f"{key}: ready task {task.element_id} sits in no lane of the diagram"
            url = f"/cases/{case.id}/tasks/{task.id}"
            for user in CALLERS:
                may_read, worker = role_of(user) in files["lanes"], role_of(user) == lane
                cell = f"{user} on {key}:{task.element_id} ({lane})"
                page = clients[user].get(url)
                check(f"{cell} GET task page", page.status_code, expect(may_read, 200))
                if page.status_code == 200:
                    post = clients[user].post(url, data={"csrf_token": csrf_of(page),
                                                         "expected_version": str(case.row_version)})
                    check(f"{cell} POST task page without fields", post.status_code, expect(worker, 400))
                    draft = clients[user].post(url, data={"csrf_token": csrf_of(page), "action": "draft",
                                                          "expected_version": str(case.row_version)})
                    check(f"{cell} save a draft", draft.status_code, expect(worker, 303))
                complete = api(world, user, "POST", f"/api/cases/{case.id}/tasks/{task.id}/complete", {"data": PROBE})
                check(f"{cell} API complete (probe)", complete.status_code, expect(worker, 422))
                claim = api(world, user, "POST", f"/api/cases/{case.id}/tasks/{task.id}/claim")
                check(f"{cell} API claim", claim.status_code, expect(worker, 204))
                if claim.status_code == 204:
                    release = api(world, user, "POST", f"/api/cases/{case.id}/tasks/{task.id}/release")
                    check(f"{cell} API release", release.status_code, 204)
                inbox = clients[user].get("/inbox")
                form = {"csrf_token": csrf_of(inbox), "case_id": str(case.id), "task_id": task.id}
                clients[user].post("/inbox/claim", data=form)
                holder = next(t.assignee for t in engine.get_case(case.id, reader).ready_tasks if t.id == task.id)
                check(f"{cell} inbox claim (assignee)", int(holder == user), int(worker))
                if holder == user:
                    clients[user].post("/inbox/release", data=form)
            assert engine.get_case(case.id, reader).row_version == case.row_version, "a probe changed the case"
    assert seen_tasks, f"the scenarios of {key} reach no task"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", pathway_keys())
def test_every_role_against_starting_a_case(world, key):
    """The API's start and the Record a contact page, per start role of the pathway's start event."""
    files = pathway_files(key)
    start = next((step["start"] for path in sorted((files["folder"] / "scenarios").glob("*.yaml"))
                  for step in yaml.safe_load(path.read_text())["steps"]
                  if "start" in step and not step["start"].get("expect_error") and not step["start"].get("pathway")),
                 None)
    assert start is not None, f"no scenario of {key} starts a case"
    problems = []
    for user in CALLERS:
        starter = role_of(user) in files["start_roles"]
        got = api(world, user, "POST", "/api/cases", {"pathway": key, "data": start.get("data") or {}}).status_code
        if got != expect(starter, 201):
            problems.append(f"{user} starting {key} through the API: got {got}")
        got = world["clients"][user].get(f"/contacts/new?pathway={key}").status_code
        if got != expect(starter, 200):
            problems.append(f"{user} opening Record a contact for {key}: got {got}")
    assert not problems, "\n".join(problems)


def test_every_role_sees_only_its_own_work(world):
    """The inbox and the API's task list hold only tasks of the caller's role (or assigned to them)."""
    engine = world["engine"]
    for key in ("front_door", "young_carers"):
        for _case, _ready, _starter in walk(world, key):
            pass  # leave some work open in several lanes
    for user in CALLERS:
        page = world["clients"][user].get("/inbox")
        assert page.status_code == 200, user
        items = api(world, user, "GET", "/api/tasks?per_page=200").get_json()["items"]
        roles = {role_of(user)} - {None}
        assert all(item["role"] in roles for item in items), (user, {i["role"] for i in items})
        if roles:
            counted = engine.work_counts(engine.actor(user)).get(f"role:{role_of(user)}", 0)
            assert counted == len(items), (user, counted, len(items))
        else:
            assert items == [], user


def test_signed_out_callers_are_sent_to_sign_in_or_refused(world):
    app = world["app"]
    client = app.test_client()
    case_id = next(walk(world, "front_door"))[0].id  # a real case: the 401 is not a 404 in disguise
    for url in ("/inbox", f"/cases/{case_id}", "/contacts/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for method, url in (("GET", "/api/tasks"), ("GET", f"/api/cases/{case_id}"), ("POST", "/api/cases"),
                        ("GET", "/api/me")):
        assert client.open(url, method=method).status_code == 401, url
    assert client.get("/referral").status_code == 200  # the public form needs no sign-in
    assert re.search(r"<h1[^>]*>", client.get("/referral").get_data(as_text=True))


def test_every_role_against_the_letters(world):
    """A letter's preview and recording: its manifest's roles; a recorded letter and its PDF: the case's readers."""
    engine, clients = world["engine"], world["clients"]
    files = pathway_files("front_door")
    manifest = yaml.safe_load((files["folder"] / "pathway.yaml").read_text())
    [letter] = manifest["letters"]
    letter_roles = set(letter.get("roles") or files["lanes"])
    case_id = early_help_case(engine, "Matrix Child", outcome=LETTER)
    base = f"/cases/{case_id}/letters/{letter['key']}"
    problems, recorded = [], None
    for user in [*CALLERS, ADMIN]:
        allowed = role_of(user) in letter_roles
        preview = clients[user].get(f"{base}/preview")
        if preview.status_code != expect(allowed, 200):
            problems.append(f"{user} previewing the letter: got {preview.status_code}")
        if allowed and recorded is None:
            form = dict(re.findall(r'name="(csrf_token|expected_version|expected_hash)" value="([^"]*)"',
                                   preview.get_data(as_text=True)))
            done = clients[user].post(f"{base}/record", data=form)
            assert done.status_code == 303, done.get_data(as_text=True)
            recorded = done.headers["Location"]
    assert recorded, "no role may record the letter"
    for user in [*CALLERS, ADMIN]:
        if role_of(user) not in letter_roles:
            token = csrf_of(clients[user].get("/inbox"))
            got = clients[user].post(f"{base}/record", data={"csrf_token": token, "expected_version": "1",
                                                             "expected_hash": "0" * 64}).status_code
            if got != 403:
                problems.append(f"{user} recording the letter: got {got}")
        may_read = role_of(user) in files["lanes"]
        for url in (recorded, recorded + ".pdf"):
            got = clients[user].get(url).status_code
            if got != expect(may_read, 200):
                problems.append(f"{user} GET {url}: got {got}")
    assert not problems, "\n".join(problems)


def test_only_administrators_manage_users(world):
    """The admin pages: administrators only, whatever lane roles others hold."""
    problems = []
    for user in [*CALLERS, ADMIN]:
        client, allowed = world["clients"][user], user == ADMIN
        for url in ("/admin/users", "/admin/users/new", f"/admin/users/{NO_ROLE}"):
            got = client.get(url).status_code
            if got != expect(allowed, 200):
                problems.append(f"{user} GET {url}: got {got}")
        token = csrf_of(client.get("/inbox"))
        got = client.post("/admin/users/new", data={
            "csrf_token": token, "username": f"made-by-{user}", "display_name": "Made", "password": "a-long-password-1",
            "admin": "no"}).status_code
        if got != expect(allowed, 303):
            problems.append(f"{user} adding a user: got {got}")
        got = client.post(f"/admin/users/{NO_ROLE}/active", data={"csrf_token": token, "active": "yes"}).status_code
        if got != expect(allowed, 303):
            problems.append(f"{user} reactivating a user: got {got}")
    assert not problems, "\n".join(problems)

"""The case page's "Where the case is" section: the text version (no JavaScript needed), the diagram's
data block and assets, and who may see it (the Flask test client; the drawing itself is tested in
tests/browser/test_case_diagram.py)."""
from __future__ import annotations

import html as htmllib
import json
import re

import pytest

from engine import Actor
from tests.conftest import FIXTURES
from tests.integration.conftest import FORMS
from tests.web.test_ui_auth import sign_in

pytestmark = pytest.mark.postgres


def start(engine, pathway="mini", data=None, user="dsw1"):
    return engine.start_case(pathway, data or {"child_name": "Sam", "concern": "bruise"}, engine.actor(user))


def complete(engine, case_id, element_id, data, user="dsw1"):
    [task] = [t for t in engine.get_case(case_id, engine.actor(user)).ready_tasks if t.element_id == element_id]
    engine.complete_task(case_id, task.id, data, engine.actor(user))


def section(text: str) -> str:
    """The section's HTML: from its heading to the next h2 of the page."""
    match = re.search(r'<h2 class="govuk-heading-m" id="where-the-case-is">.*?(?=<h2 |\Z)', text, re.S)
    assert match, "no 'Where the case is' section"
    return match.group(0)


def items(text: str, list_id: str) -> list[str]:
    match = re.search(rf'<(ol|ul)[^>]*id="{list_id}"[^>]*>(.*?)</\1>', text, re.S)
    assert match, f"no list #{list_id}"
    return [htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip())
            for li in re.findall(r"<li>(.*?)</li>", match.group(2), re.S)]


def data_block(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="case-diagram-data">(.*?)</script>', text, re.S)
    assert match, "no diagram data block"
    return json.loads(match.group(1))


def test_the_text_version_says_what_is_done_happening_and_waited_for(client, engine):
    case = start(engine)
    sign_in(client)
    text = section(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "<h2 class=\"govuk-heading-m\" id=\"where-the-case-is\">Where the case is</h2>" in text
    assert items(text, "case-steps-done") == ["Contact received"]
    assert items(text, "case-steps-now") == ["Initial screening"]
    # Names, not ids; a boundary timer says what it limits and when it is due (UK time).
    assert items(text, "case-steps-waiting") == [
        "2 hours passed (a time limit on ‘Initial screening’): due Mon 23 Nov 2026, 11:00"]
    # The mini pathway has no diagram layout: the words only, no drawing, no data for one.
    assert 'id="case-diagram-data"' not in text and 'id="case-diagram"' not in text


def test_a_loop_is_counted_in_the_text_version(client, engine):
    case = start(engine)
    complete(engine, case.id, "screening", {"decision": "early_help", "rationale": "needs support"})
    complete(engine, case.id, "signoff", {"agree": False}, user="tm2")  # refused: back to screening
    complete(engine, case.id, "screening", {"decision": "early_help", "rationale": "family asked for help"})
    sign_in(client)
    text = section(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert items(text, "case-steps-done") == ["Contact received", "Initial screening (2 times)", "Sign off decision"]
    assert items(text, "case-steps-now") == ["Sign off decision (again)"]
    assert "The case is not waiting for a date or a message." in text  # the timer went with the screening


def test_a_drawable_pathway_embeds_its_bpmn_and_markers_and_loads_the_viewer(client, engine):
    engine.publish_folder(FIXTURES / "diagram" / "relay", FORMS, Actor.system())
    case = start(engine, "relay", {"child_name": "Kim"})
    sign_in(client)
    page = client.get(f"/cases/{case.id}")
    text = page.get_data(as_text=True)
    data = data_block(text)
    assert data["diagram"] == "BPMNDiagram_Collaboration_relay" and 'id="relay"' in data["xml"]
    marks = {e["id"]: (e["completed"], e["active"], e["waiting"]) for e in data["elements"]}
    assert marks == {"relay_start": (1, 0, 0), "gw_split": (1, 0, 0), "review": (0, 1, 0), "call_visit": (0, 1, 0)}
    assert set(data["flows"]) == {"r_flow_1", "r_flow_review", "r_flow_visit"}
    assert data["label"].startswith("Diagram of the pathway")
    # The called process's task is named in words but not marked on the drawing of another file.
    assert "Write up the visit (not shown on the diagram: it is part of a linked process)" in items(
        section(text), "case-steps-now")
    assert "Visit the child (in progress)" in items(section(text), "case-steps-now")
    # The data block cannot end the script element early, whatever the XML holds.
    block = re.search(r'id="case-diagram-data">(.*?)</script>', text, re.S).group(1)
    assert "<" not in block
    # The viewer (a classic script) comes before the module that uses it; the styles are files.
    viewer = text.index("bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert 0 < viewer < text.index('type="module" src="/static/pathways/case-diagram.mjs"')
    for css in ("bpmn-js/diagram-js.css", "bpmn-js/bpmn-js.css", "pathways/case-diagram.css"):
        assert f'href="/static/{css}"' in text
    # The page keeps the strict policy: no inline styles or scripts.
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert " style=" not in text
    for asset in ("/static/pathways/case-diagram.mjs", "/static/pathways/case-diagram.css",
                  "/static/bpmn-js/bpmn-navigated-viewer.production.min.js"):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_a_reader_without_a_role_of_the_pathway_gets_403(client, engine):
    case = start(engine)
    engine.add_user("yw1", "Yan Worker", [], password="pw-yw1")
    sign_in(client, "yw1", "pw-yw1")
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 403
    assert "Where the case is" not in response.get_data(as_text=True)

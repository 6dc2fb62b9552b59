"""The case page's sections: the pathway's summary, consent, records (parallel branches each with their
own values), all recorded data, the MOJ timeline; and the inbox's pathway names and filter choices."""
from __future__ import annotations

import re

import pytest

from tests.integration.test_case_records import START, publish_parallel, run_parallel_case
from tests.web.test_ui_auth import sign_in

pytestmark = pytest.mark.postgres


def section(text: str, element_id: str) -> str:
    """The HTML from the element with ``id`` to the next h2 (its section of the page)."""
    start = text.index(f'id="{element_id}"')
    following = text.find("<h2 class=\"govuk-heading-m\"", start + 1)
    return text[start:following if following > 0 else len(text)]


@pytest.fixture
def parallel_page(client, engine):
    publish_parallel(engine)
    case = run_parallel_case(engine, {n: engine.actor(n) for n in ("dsw1", "ehc1")}, refuse_first=True)
    sign_in(client)
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    return case, page.get_data(as_text=True)


def test_the_summary_comes_first_with_form_titles_and_choice_titles(parallel_page):
    case, text = parallel_page
    overview = section(text, "case-overview")
    assert text.index('id="case-overview"') < text.index("Tasks to do")
    assert '<h2 class="govuk-summary-card__title">Child</h2>' in overview
    assert '<h2 class="govuk-summary-card__title">Referrer</h2>' in overview
    assert re.search(r"Child&#39;s date of birth</dt>\s*<dd class=\"govuk-summary-list__value\">10 March 2014", overview)
    assert re.search(r"Referral source</dt>\s*<dd class=\"govuk-summary-list__value\">School</dd>", overview)
    assert re.search(r"Referrer&#39;s name</dt>\s*<dd class=\"govuk-summary-list__value\">Not recorded", overview)
    assert "Parallel records, version 1" in overview and case.reference in overview


def test_consent_records_latest_first(parallel_page):
    _, text = parallel_page
    consents = section(text, "consent")
    given, refused = consents.index("Step parent"), consents.index("Wants to talk to her partner")
    assert given < refused  # latest first
    assert re.search(r"Consent</dt>\s*<dd class=\"govuk-summary-list__value\">Yes", consents)
    assert re.search(r"What it covers</dt>\s*<dd class=\"govuk-summary-list__value\">\s*<ul class=\"govuk-list "
                     r"govuk-list--bullet\">\s*<li>The assessment</li>\s*<li>Sharing with school</li>", consents)
    assert re.search(r"Given by</dt>\s*<dd class=\"govuk-summary-list__value\">Jo, Step parent<", consents)
    assert re.search(r"Withdrawn</dt>\s*<dd class=\"govuk-summary-list__value\">No", consents)
    assert re.search(r"Date</dt>\s*<dd class=\"govuk-summary-list__value\">Not recorded", consents)  # the refusal
    assert "Recorded by Dee Duty on <time datetime=\"2026-11-23T09:00:00+00:00\">Mon 23 Nov 2026, 09:00</time>" in consents


def test_records_replace_the_merged_data_and_keep_both_branches(parallel_page):
    _, text = parallel_page
    records = section(text, "records")
    assert "Case details" not in text
    home, school = records.index(">Home visit</h3>"), records.index(">School check</h3>")
    assert school < home < records.index(">Contact received</h3>")  # newest first
    assert "Seen at home" in records and "School says all is well" in records
    assert "Recorded by Eve Coordinator" in records
    # the start form's date and time in UK time
    assert re.search(r"When received</dt>\s*<dd class=\"govuk-summary-list__value\">Mon 23 Nov 2026, 08:00", records)
    assert '<details class="govuk-details">' in records and "All recorded data" in records
    assert 'id="case-data"' in records


def test_the_timeline_is_an_moj_timeline_newest_first(parallel_page):
    _, text = parallel_page
    assert 'href="/static/moj/moj-frontend.min.css"' in text
    timeline = section(text, "timeline")
    items = re.findall(r'<h3 class="moj-timeline__title">([^<]*)</h3>', timeline)
    assert items[0] == "The case reached its end" and items[-1].startswith("Started Parallel records")
    assert "<p class=\"moj-timeline__byline\">by Eve Coordinator (ehc1)</p>" in timeline
    assert re.search(r'<p class="moj-timeline__date"><time datetime="2026-11-23T09:00:00\+00:00">'
                     r'Mon 23 Nov 2026, 09:00</time></p>', timeline)
    links = re.findall(r'href="#(record-\d+)"', timeline)
    assert len(links) == 5 and all(f'id="{anchor}"' in text for anchor in links)


def test_a_case_without_summary_or_consent(client, engine):
    case = engine.start_case("mini", {"child_name": "Sam", "concern": "bruise"}, engine.actor("dsw1"))
    sign_in(client)
    text = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="no-consents">No consent has been recorded on this case.' in text
    assert "Mini front door, version 1" in text and 'class="govuk-summary-card__title">Case</h2>' in text
    assert ">Contact received</h3>" in text and "bruise" in text


def test_the_inbox_shows_pathway_names_and_choices_beyond_the_first_rows(client, engine):
    publish_parallel(engine)
    dsw = engine.actor("dsw1")
    for n in range(201):
        engine.start_case("mini", {"child_name": f"Child {n}", "concern": "bruise"}, dsw)
    engine.start_case("records_parallel", START, dsw)  # no due date: after every screening
    sign_in(client)
    text = client.get("/inbox").get_data(as_text=True)
    assert '<td class="govuk-table__cell">Mini front door</td>' in text
    assert '<option value="records_parallel">Parallel records</option>' in text
    assert '<option value="rp_consent">Ask the family for consent</option>' in text
    filtered = client.get("/inbox?pathway=records_parallel").get_data(as_text=True)
    assert '<option value="records_parallel" selected>Parallel records</option>' in filtered
    assert "Tasks 1 to 1 of 1" in filtered and '<td class="govuk-table__cell">Parallel records</td>' in filtered
    gone = client.get("/inbox?task=no_such_task").get_data(as_text=True)
    assert '<option value="no_such_task" selected>no_such_task</option>' in gone


def test_a_withdrawn_consent_is_tagged_with_its_date(client, engine):
    publish_parallel(engine)
    dsw = engine.actor("dsw1")
    case = engine.start_case("records_parallel", START, dsw)
    [task] = engine.get_case(case.id, dsw).ready_tasks
    engine.complete_task(case.id, task.id, {"consent_given": True, "given_by": "Jo", "withdrawn": True,
                                            "withdrawn_on": "2026-12-01"}, dsw)
    sign_in(client)
    consents = section(client.get(f"/cases/{case.id}").get_data(as_text=True), "consent")
    assert '<strong class="govuk-tag govuk-tag--red">Withdrawn</strong>' in consents
    assert re.search(r"Withdrawn</dt>\s*<dd class=\"govuk-summary-list__value\">Yes, on 1 December 2026<", consents)

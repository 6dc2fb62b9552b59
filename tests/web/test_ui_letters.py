"""The letters pages: the case page's section, preview, record (CSRF, conflicts, roles) and the PDF download."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import re

import pytest
from pypdf import PdfReader

from engine import LetterView
from tests.integration.front_door_cases import LETTER, early_help_case, front_door_engine
from tests.web.test_ui_auth import sign_in
from web.app import create_app
from web.letters_pdf import letter_pdf, uncovered

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(database_url):
    eng = front_door_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def client(engine):
    return create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "test"}).test_client()


def hidden(page) -> dict:
    text = page.get_data(as_text=True)
    return {k: htmllib.unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text)}


def text_of(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def preview_url(case_id: int) -> str:
    return f"/cases/{case_id}/letters/referrer_outcome/preview"


def test_the_case_page_offers_the_letter_once_the_outcome_is_recorded(client, engine):
    waiting = early_help_case(engine)
    done = early_help_case(engine, child="Zoë", outcome=LETTER)
    sign_in(client, "dsw", "pw-dsw-long")
    page = text_of(client.get(f"/cases/{waiting}"))
    assert 'id="letters"' in page and "Outcome letter to the referrer" in page and "Not available yet" in page
    assert "preview-letter-referrer_outcome" not in page and "No letters have been recorded on this case." in page
    page = text_of(client.get(f"/cases/{done}"))
    assert f'href="{preview_url(done)}"' in page and "Ready to be produced (template letters/early_help_assessment.txt)" in page


def test_preview_record_and_download_the_pdf(client, engine):
    case_id = early_help_case(engine, outcome=LETTER)
    sign_in(client, "dsw", "pw-dsw-long")
    page = client.get(preview_url(case_id))
    text = text_of(page)
    assert page.status_code == 200 and 'id="record-letter"' in text and ">Record letter</button>" in text
    assert "Dear Józefa Nowak," in text and "Łukasz Zoë" in text and "(0116) 305 0005" in text
    assert "letter-unprintable" not in text  # every character can be printed
    form = hidden(page)
    assert client.post(f"/cases/{case_id}/letters/referrer_outcome/record",
                       data={k: v for k, v in form.items() if k != "csrf_token"}).status_code == 400
    assert engine.case_letters(case_id, engine.actor("dsw")).recorded == ()
    response = client.post(f"/cases/{case_id}/letters/referrer_outcome/record", data=form)
    [letter] = engine.case_letters(case_id, engine.actor("dsw")).recorded
    assert response.status_code == 303 and response.headers["Location"] == f"/cases/{case_id}/letters/{letter.id}"
    page = text_of(client.get(response.headers["Location"]))
    assert "‘Outcome letter to the referrer’ recorded on the case" in page and 'id="download-letter-pdf"' in page
    assert letter.content_hash in page and "letters/early_help_assessment.txt, front_door version 1" in page
    case_page = text_of(client.get(f"/cases/{case_id}"))
    assert f'id="download-letter-{letter.id}"' in case_page and "Letters recorded on this case" in case_page
    pdf = client.get(f"/cases/{case_id}/letters/{letter.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="PW-{case_id:06d}-referrer-outcome-{letter.id}.pdf"'
    extracted = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for words in ("Rutland County Council", f"Our reference: PW-{case_id:06d}", "Dear Józefa Nowak,",
                  "Your referral about Łukasz Zoë", "We agreed the family’s “early help” plan with them.",
                  "(0116) 305 0005", "(0116) 222 2222", "23 November 2026"):
        assert words in extracted, words
    assert client.get(f"/cases/{case_id}/letters/{letter.id}.pdf").data == pdf.data  # the same letter, the same file


def test_a_stale_preview_is_shown_again_and_nothing_is_recorded(client, engine):
    case_id = early_help_case(engine, outcome=LETTER)
    sign_in(client, "dsw", "pw-dsw-long")
    form = hidden(client.get(preview_url(case_id)))
    response = client.post(f"/cases/{case_id}/letters/referrer_outcome/record",
                           data={**form, "expected_version": str(int(form["expected_version"]) - 1)})
    text = text_of(response)
    assert response.status_code == 409 and 'id="letter-conflict"' in text and "The letter was not recorded" in text
    assert 'id="record-letter"' in text and hidden(response)["expected_version"] == form["expected_version"]
    assert engine.case_letters(case_id, engine.actor("dsw")).recorded == ()


def test_a_role_without_the_letter_cannot_preview_or_record_it(client, engine):
    case_id = early_help_case(engine, outcome=LETTER)
    sign_in(client, "ehc", "pw-ehc-long")
    page = text_of(client.get(f"/cases/{case_id}"))
    assert "Available, but your roles cannot produce this letter." in page and "preview-letter-" not in page
    assert client.get(preview_url(case_id)).status_code == 403
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "expected_version": "99", "expected_hash": "0" * 64}
    assert client.post(f"/cases/{case_id}/letters/referrer_outcome/record", data=form).status_code == 403
    assert client.get(f"/cases/{case_id}/letters/1.pdf").status_code == 404  # none recorded
    assert client.get(f"/cases/{case_id}/letters/Bad-Key/preview").status_code == 404


def test_the_pdf_prints_case_data_as_text_never_as_markup():
    letter = LetterView(case_id=1, case_reference="PW-000001", key="referrer_outcome", title="Outcome letter",
                        template="letters/outcome.txt", version_number=1, case_row_version=2,
                        letter_date=dt.date(2026, 12, 2), sender=("Rutland County Council",),
                        body="Dear <b>Zoë</b> & <img src='/etc/passwd'/>,\n\nśżąę " + "word " * 900,
                        footer=("Emergencies: (0116) 305 0005",), content_hash="0" * 64, id=7)
    reader = PdfReader(io.BytesIO(letter_pdf(letter)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert len(reader.pages) == 2 and "PW-000001, page 2" in text
    assert "Dear <b>Zoë</b> & <img src='/etc/passwd'/>," in text and "śżąę" in text
    assert uncovered("Zoë Łukasz 王芳") == ["王", "芳"]

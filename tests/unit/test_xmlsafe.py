"""Untrusted XML: nothing in a DTD is ever expanded, read or fetched, and every failure is a Problem."""
from __future__ import annotations

import http.server
import threading

import pytest
from lxml import etree

from engine import xmlsafe
from engine.errors import PathwayInvalidError
from engine.xmlsafe import MAX_XML_BYTES, parse_xml

BPMN = b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"/>'


def problem_of(data: bytes, filename: str = "x.bpmn"):
    with pytest.raises(PathwayInvalidError) as info:
        parse_xml(data, filename)
    [problem] = info.value.problems
    assert problem.file == filename
    return problem


def test_parses_and_keeps_lines_comments_and_pis():
    tree = parse_xml(b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n<?editor x?>\n'
                     b'<a>\n  <b id="x"/>\n</a>\n', "x.bpmn")
    assert tree.getroot().tag == "a"
    assert tree.getroot()[0].sourceline == 5


def test_utf8_bom_and_declared_encoding_are_fine():
    tree = parse_xml(b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<a>caf\xc3\xa9</a>', "x.bpmn")
    assert tree.getroot().text == "caf\u00e9"


def test_empty_input():
    assert "the file is empty" in problem_of(b"").message
    assert "the file is empty" in problem_of(b" \n\t ").message


def test_non_utf8_garbage():
    problem = problem_of(b"<a>\n\xff\xfe\x00garbage</a>")
    assert problem.line == 2
    assert "not UTF-8" in problem.message


def test_not_xml_has_a_line():
    problem = problem_of(b"<a>\n  <b>\n</a>\n")
    assert problem.line == 3
    assert problem.message.startswith("not well-formed XML: ")


def test_oversize_input_is_refused_before_parsing():
    problem = problem_of(b"<a>" + b" " * MAX_XML_BYTES + b"</a>")
    assert "limit is 2,000,000 bytes" in problem.message


def test_doctype_without_subset_is_refused():
    problem = problem_of(b'<?xml version="1.0"?>\n<!DOCTYPE html>\n<html/>')
    assert problem.line == 2
    assert "DOCTYPE" in problem.message


def test_billion_laughs_is_refused():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
            b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n]>\n<lolz>&lol2;</lolz>')
    problem = problem_of(data)
    assert (problem.line, problem.element_id) == (2, "")


def test_external_file_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CHILD-RECORD-0815")
    for data in (f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a>&x;</a>',
                 f'<?xml version="1.0"?>\n<!DOCTYPE a SYSTEM "file://{secret}"><a/>',
                 f'<a>&x;</a><!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]>'):
        problem = problem_of(data.encode())
        assert "SECRET" not in str(problem)


def test_entity_declaration_without_doctype_is_refused():
    problem = problem_of(b'<a>\n<!ENTITY x "y">\n</a>')
    assert problem.line == 2
    assert "ENTITY" in problem.message


def test_undeclared_entity_is_a_syntax_error_not_a_lookup():
    problem = problem_of(b"<a>&passwd;</a>")
    assert "not well-formed XML" in problem.message


@pytest.fixture
def http_server():
    """A local HTTP server that records every request, to prove nothing is fetched."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "LEAKED">')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_network_and_parameter_entities_are_never_fetched(http_server):
    base, requests = http_server
    cases = (
        f'<!DOCTYPE a [<!ENTITY % remote SYSTEM "{base}/evil.dtd"> %remote;]><a>&leak;</a>',
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "{base}/x">]><a>&x;</a>',
        f'<!DOCTYPE a SYSTEM "{base}/a.dtd"><a/>',
        f'<?xml version="1.0"?>\n<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{base}/inc"/></a>',
    )
    for data in cases[:3]:
        problem = problem_of(data.encode())
        assert "LEAKED" not in str(problem)
    parse_xml(cases[3].encode(), "x.bpmn")  # XInclude is never processed: parsing alone fetches nothing
    assert requests == []


def test_parser_settings_alone_resolve_nothing(http_server, tmp_path):
    """Defence in depth: even past the DOCTYPE pre-scan, the parser expands, reads and fetches nothing."""
    base, requests = http_server
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CHILD-RECORD-0815")
    cases = (
        f'<!DOCTYPE a [<!ENTITY % remote SYSTEM "{base}/evil.dtd"> %remote;]><a>&leak;</a>',
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "{base}/x">]><a>&x;</a>',
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a>&x;</a>',
        f'<!DOCTYPE a [<!ENTITY % p SYSTEM "file://{secret}"> %p;]><a/>',
        '<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><a>&b;</a>',
    )
    for data in cases:
        root = etree.fromstring(data.encode(), xmlsafe._parser())
        text = etree.tostring(root).decode()
        assert "SECRET" not in text and "LEAKED" not in text and "aaaa" not in text
    assert requests == []


def test_bpmn_root_parses():
    assert parse_xml(BPMN, "x.bpmn").getroot().get("id") == "D"

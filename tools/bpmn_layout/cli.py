"""Command line, file reading and writing, and the splice of the new DI into the file."""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

from lxml import etree

from .common import BPMNDI_NS, BPMN_NS, DC_NS, DI_NS, _DTD, LayoutError, _children
from .di import FileLayout, di_problems


# --- reading and writing files -------------------------------------------------------------------

def parse(data: bytes, name: str):
    if _DTD.search(data):
        raise LayoutError(f"{name}: refusing a file with a DOCTYPE or ENTITY declaration")
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                             remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise LayoutError(f"{name}: not well-formed XML: {exc}") from None
    if etree.QName(root) != etree.QName(BPMN_NS, "definitions"):
        raise LayoutError(f"{name}: not a BPMN file (the root is not bpmn:definitions)")
    return root


_ATTR = r"""\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*')"""
_ROOT_START = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->)*(<[^\s/>!?]+)((?:" + _ATTR + r")*)(\s*/?>)", re.S)


def _prefixes(root) -> tuple[dict[str, str], dict[str, str]]:
    """(namespace -> prefix for the DI, prefix -> namespace to declare on the root)."""
    nsmap = dict(root.nsmap)
    chosen, new = {}, {}
    for ns, wanted in ((BPMNDI_NS, "bpmndi"), (DC_NS, "dc"), (DI_NS, "di")):
        existing = [p for p, u in nsmap.items() if u == ns and p]
        if existing:
            chosen[ns] = existing[0]
            continue
        prefix, n = wanted, 1
        while prefix in nsmap or prefix in new:
            n += 1
            prefix = f"{wanted}{n}"
        chosen[ns] = prefix
        new[prefix] = ns
    return chosen, new


def _signature(root) -> list:
    """The model part of a tree (DI left out, whitespace-only text ignored), to compare two trees."""
    skip = (BPMNDI_NS, DC_NS, DI_NS)
    out = []

    def walk(el, path):
        text = el.text if el.text and el.text.strip() else ""
        out.append((path, el.tag, sorted(el.attrib.items()), text))
        index = 0
        for child in el:
            if isinstance(child.tag, str) and etree.QName(child).namespace in skip:
                continue
            if isinstance(child.tag, str):
                walk(child, path + (index,))
            else:
                out.append((path + (index,), "node", str(child)))
            index += 1
            tail = child.tail if child.tail and child.tail.strip() else ""
            if tail:
                out.append((path, "tail", tail))
    walk(root, ())
    return out


def _splice(text: str, root, di: str, new_ns: dict[str, str], newline: str) -> str:
    """Cut old diagrams out of ``text``, add the namespace declarations and insert ``di``."""
    lines = text.split("\n")
    # old diagrams, from their start line to their end tag
    cuts = []
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for diagram in [el for el in root if isinstance(el.tag, str) and etree.QName(el).namespace == BPMNDI_NS]:
        prefix = diagram.prefix
        tag = f"{prefix}:BPMNDiagram" if prefix else "BPMNDiagram"
        start = text.find(f"<{tag}", offsets[diagram.sourceline - 1])
        head = re.compile(r"<" + re.escape(tag) + r"(?:" + _ATTR + r")*\s*(/?)>", re.S).match(text, max(start, 0))
        tail = head and not head.group(1) and re.compile(r"</" + re.escape(tag) + r"\s*>").search(text, head.end())
        if start < 0 or head is None or tail is None:
            raise LayoutError("cannot find the old diagram in the text")
        end = tail.end() if tail else head.end()
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip() == "":
            start = line_start
        line_end = text.find("\n", end)
        if line_end >= 0 and text[end:line_end].strip() == "":
            end = line_end + 1
        cuts.append((start, end))
    for start, end in sorted(cuts, reverse=True):
        text = text[:start] + text[end:]
    # namespace declarations next to the root's last one
    match = _ROOT_START.match(text)
    if match is None:
        raise LayoutError("cannot find the root start tag")
    if new_ns:
        attrs = list(re.finditer(_ATTR, match.group(2)))
        ns_attrs = [a for a in attrs if a.group(0).strip().startswith("xmlns")]
        anchor = (ns_attrs or attrs)[-1] if attrs else None
        if anchor is not None:
            separator = re.match(r"\s+", anchor.group(0)).group(0)
            at = match.start(2) + anchor.end()
        else:
            separator, at = " ", match.end(1)
        decl = "".join(f'{separator}xmlns:{p}="{ns}"' for p, ns in new_ns.items())
        text = text[:at] + decl + text[at:]
    # the diagrams go after the last root element, before any relationship and the end tag
    local = etree.QName(root).localname
    prefix = root.prefix
    end_tag = f"</{prefix}:{local}" if prefix else f"</{local}"
    relationships = _children(root, {"relationship"})
    if relationships:
        # the line of the first relationship, found again after the cuts above
        rel_prefix = relationships[0].prefix
        at = text.find(f"<{rel_prefix}:relationship" if rel_prefix else "<relationship")
    else:
        at = text.rfind(end_tag)
    if at < 0:
        raise LayoutError("cannot find where to insert the diagram")
    line_start = text.rfind("\n", 0, at) + 1
    if text[line_start:at].strip() == "":
        at = line_start
        di_block = di
    else:
        di_block = newline + di
    return text[:at] + di_block + text[at:]


def layout_bytes(data: bytes, name: str = "<bytes>") -> bytes:
    """The file with a new layout (any old DI replaced)."""
    root = parse(data, name)
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3 if bom else 0:].decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    text_lf = text.replace("\r\n", "\n") if newline == "\r\n" else text
    chosen, new_ns = _prefixes(root)
    indent = _indent_unit(text_lf)
    layout = FileLayout(root).run()
    di = layout.di_text(chosen, indent)
    try:
        result = _splice(text_lf, root, di, new_ns, "\n")
        if newline == "\r\n":
            result = result.replace("\n", "\r\n")
        out = (b"\xef\xbb\xbf" if bom else b"") + result.encode("utf-8")
        check = parse(out, name)
        if _signature(check) != _signature(root) or di_problems(check):
            raise LayoutError("the splice changed the model")
        return out
    except (LayoutError, AttributeError, ValueError):
        return _rewrite_tree(root, di, chosen)


def _rewrite_tree(root, di: str, chosen: dict[str, str]) -> bytes:
    """Fallback: write the whole tree with lxml (namespaces of the DI declared on its diagrams)."""
    root = copy.deepcopy(root)
    for el in [el for el in root if isinstance(el.tag, str) and etree.QName(el).namespace == BPMNDI_NS]:
        root.remove(el)
    decl = " ".join(f'xmlns:{p}="{ns}"' for ns, p in chosen.items())
    wrapper = etree.fromstring(f"<wrapper {decl}>{di}</wrapper>")
    relationships = _children(root, {"relationship"})
    for diagram in list(wrapper):
        if relationships:
            relationships[0].addprevious(diagram)
        else:
            root.append(diagram)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _indent_unit(text: str) -> str:
    for line in text.split("\n")[1:]:
        stripped = line.lstrip(" \t")
        if stripped.startswith("<") and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "  "


def process_file(path: Path, force: bool = False) -> str:
    data = path.read_bytes()
    root = parse(data, str(path))
    problems = di_problems(root)
    if not problems and not force:
        return "DI complete, left alone (--force to redo it)"
    out = layout_bytes(data, str(path))
    if out != data:
        path.write_bytes(out)
    had = any(isinstance(el.tag, str) and etree.QName(el).namespace == BPMNDI_NS for el in root)
    return "layout replaced" if had else "layout added"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bpmn_layout",
                                     description="Add a diagram layout (BPMN DI) to BPMN files.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE.bpmn")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing the files whose DI is missing or incomplete")
    parser.add_argument("--force", action="store_true", help="replace the DI even where it is complete")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            if args.check:
                problems = di_problems(parse(path.read_bytes(), str(path)))
                if problems:
                    status = 1
                    shown = problems[:10] + ([f"... {len(problems) - 10} more"] if len(problems) > 10 else [])
                    print(f"{path}: DI missing or incomplete: " + "; ".join(shown))
            else:
                print(f"{path}: {process_file(path, args.force)}")
        except (OSError, LayoutError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 2
    return status

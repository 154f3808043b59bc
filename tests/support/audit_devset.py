"""The auditor's labelled development set, built deterministically from templates.

Every specimen is a small skill folder (SKILL.md plus scripts, config, documents or archives)
made from a template and seeded choices of wording, paths, hosts and names, so that no two
specimens of a class read alike. Malicious specimens carry a class (the eight classes of the
audit-depth issue) and a taxonomy code; hard negatives are legitimate skills that touch
credentials, the network, agent files or destructive commands for good reasons.

Everything is inert: hosts are ``*.invalid`` / ``*.test`` or documentation IPs (192.0.2.0/24).

A fixed ``blind`` split (about a third, by a hash of the specimen id) is never used for tuning:
``bench/audit.py`` reports it separately. Templates live in ``audit_devset_text.py`` (prose and
foreign-language wording), ``audit_devset_code.py`` (scripts, config, archives) and
``audit_devset_js.py`` (JavaScript/TypeScript and chains through environment variables).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

CLASSES = ("prose", "dataflow", "permission", "vuln", "destructive", "supply", "chain",
           "evasion")
BLIND_PERCENT = 33


@dataclass(frozen=True)
class Specimen:
    id: str
    label: str  # malicious | benign
    cls: str  # one of CLASSES (for benign: the class it is a hard negative for)
    code: str  # taxonomy code (P1 ... SC3, D1, VULN)
    files: dict[str, bytes]
    lang: str = "en"
    partner: dict[str, bytes] | None = None  # a second skill audited together (chains)
    kinds: tuple[str, ...] = field(default=())  # file kinds: script, config, document, archive

    @property
    def blind(self) -> bool:
        return is_blind(self.id)


def is_blind(specimen_id: str) -> bool:
    """The blind split: fixed by the specimen id alone, never by how the auditor does."""
    digest = hashlib.sha256(f"skillyard-devset:{specimen_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < BLIND_PERCENT


def skill_md(name: str, description: str, body: str) -> bytes:
    return (f"---\nname: {name}\ndescription: {description}\n---\n\n{body.strip()}\n").encode()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes(text: str, part: str = "word/document.xml") -> bytes:
    paras = "".join(f"<w:p><w:r><w:t>{_xml(line)}</w:t></w:r></w:p>"
                    for line in text.split("\n"))
    doc = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
           'openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           f"{paras}</w:body></w:document>")
    return zip_bytes({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
                      "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
                      part: doc.encode()})


def xlsx_bytes(cells: list[str]) -> bytes:
    items = "".join(f"<si><t>{_xml(c)}</t></si>" for c in cells)
    xml = f'<?xml version="1.0"?><sst xmlns="x">{items}</sst>'
    return zip_bytes({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
                      "xl/sharedStrings.xml": xml.encode(),
                      "xl/workbook.xml": b'<?xml version="1.0"?><workbook/>'})


def pptx_bytes(text: str) -> bytes:
    paras = "".join(f"<a:p><a:r><a:t>{_xml(line)}</a:t></a:r></a:p>"
                    for line in text.split("\n"))
    xml = (f'<?xml version="1.0"?><p:sld xmlns:p="p" xmlns:a="a"><p:txBody>{paras}'
           "</p:txBody></p:sld>")
    return zip_bytes({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
                      "ppt/slides/slide1.xml": xml.encode(),
                      "ppt/presentation.xml": b'<?xml version="1.0"?><presentation/>'})


def pdf_bytes(text: str, compress: bool = True) -> bytes:
    """A minimal one-page PDF whose content stream shows ``text`` (Flate-compressed or not)."""
    import zlib

    lines = []
    for i, line in enumerate(text.split("\n")):
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines.append(f"BT /F1 10 Tf 40 {760 - 14 * i} Td ({safe}) Tj ET")
    stream = "\n".join(lines).encode("latin-1", "replace")
    body = zlib.compress(stream) if compress else stream
    filt = b"/Filter /FlateDecode " if compress else b""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< " + filt + b"/Length " + str(len(body)).encode() + b" >>\nstream\n" + body
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer << /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def appledouble_bytes() -> bytes:
    """An AppleDouble header (what macOS puts in ``._name`` files): magic, version, entries."""
    import struct

    header = struct.pack(">II16sH", 0x00051607, 0x00020000, b"Mac OS X        ", 1)
    entry = struct.pack(">III", 9, 50, 32)  # Finder info
    return header + entry + b"\0" * 32


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def specimens() -> list[Specimen]:
    """Every specimen, malicious and benign, in a fixed order."""
    from .audit_devset_code import code_specimens
    from .audit_devset_docs import doc_benign
    from .audit_devset_js import all_js_specimens
    from .audit_devset_shapes import shape_specimens
    from .audit_devset_text import text_specimens

    out = (text_specimens() + code_specimens() + doc_benign() + all_js_specimens()
           + shape_specimens())
    ids = [s.id for s in out]
    assert len(ids) == len(set(ids)), "duplicate specimen ids"
    return out


def write_specimen(spec: Specimen, root: Path) -> list[Path]:
    """Write the specimen's skill folder(s) under ``root``; the paths to audit together."""
    paths = []
    for suffix, files in (("", spec.files), ("-partner", spec.partner)):
        if files is None:
            continue
        folder = root / f"{spec.id}{suffix}"
        for rel, data in files.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        paths.append(folder)
    return paths

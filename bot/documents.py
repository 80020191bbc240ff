"""Text of evidence documents (crm.ports.DocumentReader): PDF with pypdf, DOCX with python-docx, XLSX
with openpyxl, e-mail with the standard library. Only the beginning is read (a few pages, paragraphs or
rows, `limit` characters): the text serves to guess what the document is, not to index it.

Blocking; the deal service runs it in a worker thread, one at a time. Any failure to parse is a
ValueError, so a damaged file is still kept as evidence, only without keywords.
"""

from __future__ import annotations

import email
import email.policy
import io
import logging
import zipfile
from email.message import EmailMessage

logger = logging.getLogger(__name__)

PDF_PAGES = 3
DOCX_PARAGRAPHS = 300
XLSX_SHEETS = 3
XLSX_ROWS = 200
XLSX_COLUMNS = 30
# A DOCX or XLSX is a ZIP; refuse packages whose parts would inflate beyond this (ZIP bombs).
MAX_UNPACKED = 64 * 1024 * 1024


class DocumentText:
    def text(self, data: bytes, mime: str, limit: int) -> str:
        try:
            if mime == "application/pdf":
                return _pdf(data, limit)
            if mime.endswith("wordprocessingml.document"):
                _check_package(data)
                return _docx(data, limit)
            if mime.endswith("spreadsheetml.sheet"):
                _check_package(data)
                return _xlsx(data, limit)
            if mime == "message/rfc822":
                return _email(data, limit)
            if mime.startswith("text/"):
                return data[: limit * 4].decode("utf-8", errors="replace")[:limit]
        except ValueError:
            raise
        except Exception as exc:
            # pypdf, python-docx and openpyxl raise many kinds of errors on damaged files.
            raise ValueError(f"unreadable {mime}: {type(exc).__name__}") from exc
        raise ValueError(f"no reader for {mime}")


def _check_package(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        if sum(info.file_size for info in package.infolist()) > MAX_UNPACKED:
            raise ValueError("package inflates too much")


class _Text:
    """Collects pieces of text up to `limit` characters."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def add(self, piece: str | None) -> bool:
        """Adds a piece; False once the limit is reached."""
        if piece:
            piece = piece.strip()
        if piece:
            self.parts.append(piece)
            self.size += len(piece) + 1
        return self.size < self.limit

    def value(self) -> str:
        return "\n".join(self.parts)[: self.limit]


def _pdf(data: bytes, limit: int) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("encrypted PDF")
    text = _Text(limit)
    for page in reader.pages[:PDF_PAGES]:
        if not text.add(page.extract_text()):
            break
    return text.value()


def _docx(data: bytes, limit: int) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    text = _Text(limit)
    for paragraph in document.paragraphs[:DOCX_PARAGRAPHS]:
        if not text.add(paragraph.text):
            return text.value()
    for table in document.tables[:5]:
        for row in table.rows[:50]:
            if not text.add(" ".join(cell.text for cell in row.cells)):
                return text.value()
    return text.value()


def _xlsx(data: bytes, limit: int) -> str:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    text = _Text(limit)
    try:
        for sheet in workbook.worksheets[:XLSX_SHEETS]:
            if not text.add(sheet.title):
                break
            for row in sheet.iter_rows(max_row=XLSX_ROWS, max_col=XLSX_COLUMNS, values_only=True):
                cells = [str(value) for value in row if value is not None]
                if cells and not text.add(" ".join(cells)):
                    return text.value()
    finally:
        workbook.close()
    return text.value()


def _email(data: bytes, limit: int) -> str:
    message = email.message_from_bytes(data, policy=email.policy.default)
    text = _Text(limit)
    text.add(str(message.get("subject", "")))
    if isinstance(message, EmailMessage):
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None and isinstance(body, EmailMessage):
            text.add(body.get_content())
    return text.value()

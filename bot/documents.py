"""Text of evidence documents (crm.ports.DocumentReader): PDF with pypdf, DOCX with python-docx, XLSX
with openpyxl, e-mail with the standard library. Only the beginning is read (a few pages, paragraphs or
rows, `limit` characters): the text serves to guess what the document is, not to index it.

Blocking; the deal service runs it in a worker thread, one at a time. Each document is parsed in a
child process (`python -m bot.documents`) under a time limit and an address-space limit: a crafted PDF
that loops or a package that inflates can neither block the bot nor exhaust its memory. A parse that
overruns the time is killed and the file refused (InputRejected "file.read_timeout"); any other
failure is a ValueError, so a damaged file is still kept as evidence, only without keywords.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import logging
import subprocess
import sys
import zipfile
from email.message import EmailMessage

from crm.errors import InputRejected

logger = logging.getLogger(__name__)

# A genuine contract's first pages parse in well under a second (plus ~0.5 s to start the child).
READ_SECONDS = 20.0
# Address space of the child: room for Python, lxml and a 20 MB document several times over.
READ_MEMORY = 1024 * 1024 * 1024

PDF_PAGES = 3
DOCX_PARAGRAPHS = 300
XLSX_SHEETS = 3
XLSX_ROWS = 200
XLSX_COLUMNS = 30
# A DOCX or XLSX is a ZIP; refuse packages whose parts would inflate beyond this (ZIP bombs).
MAX_UNPACKED = 64 * 1024 * 1024


class DocumentText:
    """Parses in a child process with a time and memory limit (`isolated`, the default), or in this
    process (the child itself; tests of the parsers)."""

    def __init__(
        self, *, isolated: bool = True, seconds: float = READ_SECONDS, memory: int = READ_MEMORY
    ) -> None:
        self.isolated = isolated
        self.seconds = seconds
        self.memory = memory

    def text(self, data: bytes, mime: str, limit: int) -> str:
        if self.isolated:
            return self._in_child(data, mime, limit)
        return parse(data, mime, limit)

    def _in_child(self, data: bytes, mime: str, limit: int) -> str:
        command = [sys.executable, "-m", "bot.documents", mime, str(limit), str(self.memory)]
        try:
            # Our own interpreter and module, arguments that are no shell words: nothing untrusted
            # reaches the command line (the document goes through stdin).
            done = subprocess.run(  # noqa: S603
                command, input=data, capture_output=True, timeout=self.seconds, check=False
            )
        except subprocess.TimeoutExpired as exc:
            # subprocess.run has killed the child already.
            logger.warning("reading a %s took over %.0f s; refused", mime, self.seconds)
            raise InputRejected("file.read_timeout", seconds=round(self.seconds)) from exc
        try:
            answer = json.loads(done.stdout)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            # Killed by the memory limit, or died some other way: no keywords, the file is still kept.
            logger.info("the document reader ended with status %s", done.returncode)
            raise ValueError(f"unreadable {mime}: reader ended with status {done.returncode}")
        if "error" in answer:
            raise ValueError(str(answer["error"]))
        return str(answer.get("text", ""))[:limit]


def parse(data: bytes, mime: str, limit: int) -> str:
    """The text at the start of a document, in this process."""
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


def _child(argv: list[str]) -> int:
    """`python -m bot.documents MIME LIMIT MEMORY` < document: {"text": ...} or {"error": ...}."""
    import resource

    mime, limit, memory = argv[0], int(argv[1]), int(argv[2])
    # Limits of this child only; a bomb dies with MemoryError (or is killed), not the bot.
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    data = sys.stdin.buffer.read()
    try:
        answer = {"text": parse(data, mime, limit)}
    except (ValueError, MemoryError, RecursionError) as exc:
        answer = {"error": str(exc) if isinstance(exc, ValueError) else type(exc).__name__}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))

"""Deals test support: the app wired with files, documents, charts and a recording notifier; the
morning digest job on it; real PDF, DOCX and XLSX files made in the tests."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.charts import FunnelChart
from bot.documents import DocumentText
from chat.app import App, Ports
from chat.views import Reply
from crm.errors import DeliveryFailed
from crm.inputs import Upload
from crm.model import Identity
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from reminders.digest import DigestConfig, DigestJob
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory


@dataclass
class RecordingNotifier:
    """chat.ports.Notifier that keeps what it was asked to send; members in `refuse` are unreachable."""

    sent: list[tuple[Identity, Reply]] = field(default_factory=list)
    refuse: set[int] = field(default_factory=set)
    refused: list[int] = field(default_factory=list)  # the members whose message was refused, in order

    async def send(self, identity: Identity, reply: Reply) -> None:
        if identity.member_id in self.refuse:
            self.refused.append(identity.member_id)
            raise DeliveryFailed("blocked")
        self.sent.append((identity, reply))

    def to(self, member_id: int) -> list[Reply]:
        return [reply for identity, reply in self.sent if identity.member_id == member_id]


class FixedCalendar:
    """Workdays Monday to Friday except the listed holidays."""

    def __init__(self, holidays: set[object] | None = None) -> None:
        self.holidays = holidays or set()

    def is_workday(self, day: object) -> bool:
        return day not in self.holidays and day.weekday() < 5  # type: ignore[attr-defined]


_CHARTS = FunnelChart()


def make_deals_app(
    engine: AsyncEngine,
    clock: object,
    extractor: Extractor,
    tmp_path: Path,
    *,
    notifier: RecordingNotifier | None = None,
    max_file_mb: int = 20,
    calendar: object | None = None,
) -> App:
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=clock,  # type: ignore[arg-type]
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(tmp_path / "spool"),
            blobs=LocalBlobStore(tmp_path / "files"),
            notifier=notifier,
            documents=DocumentText(),
            charts=_CHARTS,
            calendar=calendar or FixedCalendar(),  # type: ignore[arg-type]
        ),
        max_file_mb=max_file_mb,
    )


def digest_job(app: App, config: DigestConfig | None = None) -> DigestJob:
    """The morning digest job of a process running `app` (what bot/wiring.py starts)."""
    return DigestJob(
        app.digests, app.members, app.ports.notifier, app.features.charts, app.ports.clock, config=config
    )


def upload(
    data: bytes,
    name: str | None = None,
    *,
    caption: str | None = None,
    reply_to: str | None = None,
    photo: bool = False,
) -> Upload:
    async def fetch() -> bytes:
        return data

    return Upload(fetch=fetch, name=name, size=len(data), caption=caption, reply_to=reply_to, is_photo=photo)


def pdf(*lines: str) -> bytes:
    """A real PDF whose text layer holds `lines` (Chinese included: a CJK TrueType font is embedded)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    figure = Figure(figsize=(8.27, 11.69))
    FigureCanvasPdf(figure)
    font = FontProperties(family=["Noto Sans CJK SC", "DejaVu Sans"], size=12)
    for number, line in enumerate(lines):
        figure.text(0.08, 0.92 - number * 0.04, line, fontproperties=font)
    buffer = io.BytesIO()
    with rc_context({"pdf.fonttype": 42}):
        figure.savefig(buffer, format="pdf")
    return buffer.getvalue()


def pdf_bomb(megabytes: int) -> bytes:
    """A small PDF (about 1 KB per MB) whose one page's content stream inflates to `megabytes` of
    text operators: pypdf's text extraction works through them in pure Python, several seconds and
    tens of MB of memory per MB, so it stands for any document that hangs or eats a parser."""
    operator = b"BT /F1 12 Tf 10 10 Td (a) Tj ET\n"
    content = zlib.compress(operator * (megabytes * 1024 * 1024 // len(operator)), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx(*paragraphs: str) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx(*rows: tuple[object, ...], title: str = "Sheet1") -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def png() -> bytes:
    """A small real PNG (a screenshot stand-in)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1), dpi=50)
    FigureCanvasAgg(figure)
    figure.text(0.1, 0.5, "OK")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

"""Reading a spreadsheet a member sent: the format from its content (not its name), then the one reader
for it. Every refusal is an InputRejected naming why, with the limit where one applies.

Why these readers (bench/bench_sheets.py measures them): python-calamine reads .xlsx about 15 times
faster than openpyxl's read-only mode, but builds each sheet as a dense grid of its used area, so a
few kilobytes naming a cell at XFD1048576 would ask for tens of gigabytes and abort the process; the
sheet's real extent is therefore measured first by streaming its XML (bot.sheets.xlsx). For .xls the
same dense grid is built from the used area (65,536 x 256 cells, about a gigabyte, from a 6 kB file),
and a BIFF file is small: xlrd reads it sparsely, row by row.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

from bot.sheets import csvfile, xls, xlsx
from crm.errors import InputRejected
from crm.table import Sheet

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound document of .xls (and of encrypted .xlsx)


class SpreadsheetFiles:
    """crm.ports.SpreadsheetReader for .xlsx, .xls and .csv."""

    def read(self, data: bytes, name: str, max_rows: int) -> list[Sheet]:
        if not data:
            raise InputRejected("import.empty")
        if data.startswith(b"PK"):
            try:
                package = zipfile.ZipFile(BytesIO(data))
            except zipfile.BadZipFile as exc:
                raise InputRejected("import.unreadable") from exc
            with package:
                if "xl/workbook.xml" not in package.namelist():
                    raise InputRejected("import.unsupported", name=name)
                return xlsx.read(package, data, max_rows)
        if data.startswith(_OLE):
            return xls.read(data, max_rows)
        return [csvfile.read(data, name, max_rows)]

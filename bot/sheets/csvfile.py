"""Reading CSV: the encoding detected by charset-normalizer (UTF-8 with or without BOM, GBK/GB18030,
Big5...), the delimiter by the csv module's sniffer among comma, tab, semicolon and bar."""

from __future__ import annotations

import csv
import io

import charset_normalizer

from crm.errors import InputRejected
from crm.table import Cell, Sheet

MAX_COLUMNS = 200
_SNIFF = 64 * 1024
_GB = frozenset({"gb2312", "gbk", "gb18030", "hz"})


def decode(data: bytes) -> str:
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise InputRejected("import.encoding")
    encoding = best.encoding.replace("_", "").replace("-", "").lower()
    if encoding in _GB:
        # GB18030 is a superset of GBK and GB2312: characters a GBK guess lacks still decode.
        return data.decode("gb18030", errors="replace")
    text = str(best)
    return text[1:] if text.startswith("\ufeff") else text


def read(data: bytes, name: str, max_rows: int) -> Sheet:
    if b"\x00" in data[:_SNIFF] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputRejected("import.unsupported", name=name)
    text = decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:_SNIFF], delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[Cell]] = []
    left = max_rows
    try:
        for raw in csv.reader(io.StringIO(text, newline=""), dialect):
            row: list[Cell] = [value.strip() or None for value in raw]
            while row and row[-1] is None:
                row.pop()
            if len(row) > MAX_COLUMNS:
                raise InputRejected("import.too_many_columns", limit=MAX_COLUMNS)
            if row:
                left -= 1
                if left < 0:
                    raise InputRejected("import.too_many_rows", limit=max_rows)
            rows.append(row)
    except csv.Error as exc:
        raise InputRejected("import.unreadable") from exc
    while rows and not rows[-1]:
        rows.pop()
    return Sheet(name.rsplit("/", 1)[-1], rows)

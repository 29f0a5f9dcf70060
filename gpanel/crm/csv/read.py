"""Reading a CRM export: bytes to text, text to rows, cells to typed values.

- Encoding: UTF-8 (with or without BOM) first; otherwise charset-normalizer's best guess,
  provided it decodes cleanly. A file that is not text (or whose encoding cannot be told) is
  refused with a message saying how to re-save it.
- Dates: ISO (`2026-05-14`, with or without a time) always; `dd/mm/yyyy` versus `mm/dd/yyyy`
  by the `date_format` option ("dmy", "mdy", or "auto": decided from the file's unambiguous
  dates, refusing the file when it cannot tell); month names (`14 May 2026`, `May 14, 2026`).
- Amounts: currency symbols and codes dropped; `1,234.50`, `1.234,50`, `1 234,50` understood.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from charset_normalizer import from_bytes


class ImportRefused(Exception):
    """The whole file is refused before any row is written; the message says why and what
    to do."""


DATE_FORMATS = ("auto", "dmy", "mdy")


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportRefused(f"The file cannot be read as {encoding}: {exc}.") from None
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(
            "This does not look like a CSV text file (it contains binary data). Export the "
            "records as CSV and try again."
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise ImportRefused(
            "gpanel cannot tell which text encoding this file uses. Save it as 'CSV UTF-8' "
            "(Excel: File > Save As > CSV UTF-8) or pass --encoding."
        )
    text = str(best)
    if "\ufffd" in text or "\x00" in text:
        raise ImportRefused(
            f"The file does not decode cleanly (best guess {best.encoding}). Save it as "
            "'CSV UTF-8' or pass --encoding."
        )
    return text.removeprefix("\ufeff"), best.encoding


def sniff_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:20_000]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def read_rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header row and an iterator of (line number where the row starts, cells).

    Blank lines are skipped. Line numbers count physical lines, so a quoted cell spanning
    lines still reports the line a spreadsheet user would look at.
    """
    reader = csv.reader(io.StringIO(text, newline=""), sniff_dialect(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused("The file is empty: it has no header row.") from None
    except csv.Error as exc:
        raise ImportRefused(f"The header row is not valid CSV: {exc}.") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportRefused(f"Line {start}: the file is not valid CSV ({exc}).") from None
            if any(c.strip() for c in cells):
                yield start, cells
            start = reader.line_num + 1

    return header, rows()


# --- Dates ---------------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T][0-9:. apmAPM]+)?$")
_NAMED = (
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %d %Y",
    "%B %d %Y",
)


class BadValue(ValueError):
    """A cell that cannot be read as its column's type; the message is the reason."""


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_date(value: str, order: str) -> dt.date:
    """A date from `value`; `order` is "dmy" or "mdy" for numeric day/month dates."""
    text = value.strip()
    iso = _ISO.match(text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        numeric = _NUMERIC.match(text)
        if numeric:
            first, second, year = int(numeric[1]), int(numeric[2]), _year(numeric[3])
            day, month = (first, second) if order == "dmy" else (second, first)
            return dt.date(year, month, day)
    except ValueError:
        raise BadValue(f"{text!r} is not a valid date") from None
    for fmt in _NAMED:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadValue(
        f"{text!r} is not a date gpanel understands (use YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY)"
    )


def decide_date_order(values: Iterable[str], requested: str) -> str:
    """ "dmy" or "mdy": the requested order, or for "auto" the one the file's dates prove.

    A date like 25/03/2026 proves day-first; 03/25/2026 proves month-first. A file with
    numeric dates that are all ambiguous (both parts 12 or less) is refused rather than
    guessed, as is a file that proves both.
    """
    if requested != "auto":
        return requested
    day_first = month_first = ambiguous = False
    for value in values:
        numeric = _NUMERIC.match(value.strip())
        if not numeric:
            continue
        first, second = int(numeric[1]), int(numeric[2])
        if first > 12 >= second:
            day_first = True
        elif second > 12 >= first:
            month_first = True
        elif first != second:
            ambiguous = True
    if day_first and month_first:
        raise ImportRefused(
            "The closing dates mix day-first (31/01/2026) and month-first (01/31/2026) forms. "
            "Fix the file, or pass --date-format dmy or mdy to choose one."
        )
    if month_first:
        return "mdy"
    if day_first or not ambiguous:
        return "dmy"
    raise ImportRefused(
        "The dates in this file could be day-first or month-first (like 03/04/2026) and none "
        "of them tells which. Pass --date-format dmy (03/04 = 3 April) or --date-format mdy "
        "(03/04 = March 4)."
    )


# --- Amounts -------------------------------------------------------------------------------------

_CURRENCY = re.compile(r"[^\d,.\-']")


def parse_amount(value: str) -> Decimal:
    raw = value.strip()
    text = _CURRENCY.sub("", raw).replace("'", "")
    if not text or not any(ch.isdigit() for ch in text):
        raise BadValue(f"{raw!r} is not an amount")
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        text = text.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        # "1,234" and "1,234,567" are thousands; "12,5" and "1234,50" are decimal commas.
        if len(tail) == 3 and text.count(",") >= 1 and head.replace(",", "").lstrip("-"):
            text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
    elif text.count(".") > 1:
        text = text.replace(".", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"{raw!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e14"):
        raise BadValue(f"{raw!r} is out of range")
    return amount.quantize(Decimal("0.01"))

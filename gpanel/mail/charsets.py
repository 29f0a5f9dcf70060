"""Turning the bytes of a mail part into text, whatever charset label the sender wrote.

Mail declares its charset with a free-form label, and real senders get it wrong: `gb2312` for
text that is really GBK, `ks_c_5601-1987`, `iso-8859-1` for Windows-1252, `x-unknown`, or a
label Python has never heard of. Browsers solved this with the WHATWG Encoding Standard's label
table (every label a browser accepts maps to one superset decoder); `_ALIASES` below keeps the
part of that table that matters for mail, plus the mail-only encodings (UTF-7, ISO-2022-JP).
`decode_bytes` then tries, in order: the mapped codec, UTF-8, charset-normalizer's detection on
a bounded sample, and finally UTF-8 with replacement characters. It never raises.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Labels whose WHATWG (or de-facto mail) decoder differs from Python's codec of the same name,
# or that Python does not know. Values are tried in order; all are Python codec names.
_ALIASES: dict[str, tuple[str, ...]] = {
    # Western: browsers decode every Latin-1 and ASCII label as Windows-1252, a superset.
    "us-ascii": ("cp1252",),
    "ascii": ("cp1252",),
    "ansi_x3.4-1968": ("cp1252",),
    "iso-8859-1": ("cp1252",),
    "iso8859-1": ("cp1252",),
    "iso_8859-1": ("cp1252",),
    "latin1": ("cp1252",),
    "latin-1": ("cp1252",),
    "l1": ("cp1252",),
    "cp819": ("cp1252",),
    "ibm819": ("cp1252",),
    "iso-8859-9": ("cp1254",),
    "latin5": ("cp1254",),
    "iso-8859-11": ("cp874",),
    "tis-620": ("cp874",),
    "windows-874": ("cp874",),
    "macintosh": ("mac_roman",),
    "x-mac-roman": ("mac_roman",),
    "mac": ("mac_roman",),
    # Chinese: GB2312 text is nearly always GBK in practice; GB18030 is the superset of both.
    "gb2312": ("gbk", "gb18030"),
    "gb_2312-80": ("gbk", "gb18030"),
    "csgb2312": ("gbk", "gb18030"),
    "euc-cn": ("gbk", "gb18030"),
    "x-gbk": ("gbk", "gb18030"),
    "chinese": ("gbk", "gb18030"),
    "gbk": ("gbk", "gb18030"),
    "big5": ("big5hkscs", "cp950"),
    "big5-hkscs": ("big5hkscs",),
    "x-x-big5": ("big5hkscs", "cp950"),
    "cn-big5": ("big5hkscs", "cp950"),
    # Korean: all of these are Windows-949 (Unified Hangul Code) in browsers.
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601-1989": ("cp949",),
    "ks_c_5601": ("cp949",),
    "ksc5601": ("cp949",),
    "ksc_5601": ("cp949",),
    "korean": ("cp949",),
    "euc-kr": ("cp949",),
    "windows-949": ("cp949",),
    "csksc56011987": ("cp949",),
    # Japanese: Shift_JIS labels decode as Windows-31J; ISO-2022-JP has common extensions.
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "ms_kanji": ("cp932",),
    "csshiftjis": ("cp932",),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2"),
    "csiso2022jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2"),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    # Unicode.
    "utf-7": ("utf_7",),
    "unicode-1-1-utf-7": ("utf_7",),
    "utf8": ("utf_8",),
    "unicode-1-1-utf-8": ("utf_8",),
}

# Labels that say "I do not know": go straight to detection.
_UNKNOWN = frozenset(
    {"", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "charset", "8bit"}
)

# Python text codecs that are not character sets: they must never decode mail.
_NOT_CHARSETS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "unicode-internal"}
)

# Detection looks at a bounded sample so a 10 MB body costs the same as a 64 KB one.
DETECTION_SAMPLE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text decoded from bytes, with the codec that produced it.

    `exact` is true when a codec decoded every byte without error (the declared label, UTF-8 or
    a detected one); false means replacement characters stand in for undecodable bytes.
    """

    text: str
    codec: str
    exact: bool


def normalize_label(label: str | None) -> str:
    """A charset label as the WHATWG table keys it: trimmed, unquoted, lower case."""
    if not label:
        return ""
    return label.strip().strip("\"'").strip().lower()


def codecs_for_label(label: str | None) -> tuple[str, ...]:
    """The Python codecs to try for a declared label, best first; empty if unknown."""
    key = normalize_label(label)
    if key in _UNKNOWN:
        return ()
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith(("x-", "cs")) and key[2:] in _ALIASES:
        return _ALIASES[key[2:]]
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError):
        return ()
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return ()
    return (info.name,)


def _strict(data: bytes, codec: str, partial: bool = False) -> str | None:
    try:
        if partial:
            # A body cut at a byte limit may end inside a multi-byte character: an incremental
            # decoder that is not told the input is final leaves that fragment out.
            return codecs.getincrementaldecoder(codec)().decode(data, final=False)
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def _detect(data: bytes) -> str | None:
    """The codec charset-normalizer finds most likely for a sample of `data`, if any."""
    try:
        best = from_bytes(data[:DETECTION_SAMPLE_BYTES]).best()
    except Exception:  # Detection is a heuristic: its failure must not fail the message.
        return None
    if best is None:
        return None
    codec = codecs_for_label(best.encoding)
    return codec[0] if codec else None


def decode_bytes(data: bytes, label: str | None, *, partial: bool = False) -> DecodedText:
    """Decode mail bytes declared as `label`; never raises, always returns text.

    `partial` says `data` is a prefix cut at a size limit, so an incomplete character at its
    end is dropped rather than counted as an error.
    """
    candidates = codecs_for_label(label)
    for codec in candidates:
        text = _strict(data, codec, partial)
        if text is not None:
            return DecodedText(text, codec, True)
    text = _strict(data, "utf_8", partial)
    if text is not None:
        return DecodedText(text, "utf_8", True)
    detected = _detect(data)
    if detected is not None:
        text = _strict(data, detected, partial)
        if text is not None:
            return DecodedText(text, detected, True)
    # Nothing decodes every byte: use the declared codec (else the detected one, else UTF-8)
    # and let replacement characters mark the bytes that do not fit.
    fallback = candidates[0] if candidates else (detected or "utf_8")
    try:
        return DecodedText(data.decode(fallback, errors="replace"), fallback, False)
    except (LookupError, ValueError):
        return DecodedText(data.decode("utf_8", errors="replace"), "utf_8", False)

"""Charset labels map like a browser's, and decoding never raises whatever the bytes or label."""

from __future__ import annotations

import pytest

from gpanel.mail.charsets import codecs_for_label, decode_bytes


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gbk"),
        ("GB2312", "gbk"),
        ('"ks_c_5601-1987"', "cp949"),
        ("euc-kr", "cp949"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("shift_jis", "cp932"),
        ("x-sjis", "cp932"),
        ("iso-2022-jp", "iso2022_jp"),
        ("utf-7", "utf_7"),
        ("big5", "big5hkscs"),
        ("koi8-r", "koi8-r"),
        ("windows-1251", "cp1251"),
    ],
)
def test_labels_map_to_superset_codecs(label: str, codec: str) -> None:
    """Each label maps first to the decoder browsers use for it."""
    assert codecs_for_label(label)[0] == codec


@pytest.mark.parametrize(
    "label",
    [
        "x-unknown",
        "unknown-8bit",
        "",
        None,
        "no-such-charset",
        "base64",
        "rot13",
        "unicode_escape",
        "idna",
    ],
)
def test_unknown_or_non_text_labels_give_no_codec(label: str | None) -> None:
    """Unknown labels go to detection; Python's non-charset codecs are never used on mail."""
    assert codecs_for_label(label) == ()


def test_windows_1252_bytes_labelled_latin1_decode_as_browsers_do() -> None:
    """0x93/0x94 are curly quotes in cp1252, control characters in real ISO-8859-1."""
    assert decode_bytes(b"\x93hi\x94", "iso-8859-1").text == "\u201chi\u201d"


def test_gbk_text_labelled_gb2312_decodes_exactly() -> None:
    """A GBK-only character under a gb2312 label still decodes without replacement."""
    data = "\u9555\u4e2d\u6587".encode("gbk")  # U+9555 is outside GB2312
    result = decode_bytes(data, "gb2312")
    assert result.exact and result.text == "\u9555\u4e2d\u6587"


def test_cp949_under_ks_c_5601_and_iso_2022_jp() -> None:
    """Korean and Japanese mail labels decode their real text."""
    assert decode_bytes("\ud55c\uad6d\uc5b4".encode("cp949"), "ks_c_5601-1987").text == "한국어"
    assert decode_bytes("日本語".encode("iso2022_jp"), "ISO-2022-JP").text == "日本語"
    assert decode_bytes("Hi Mom -☺-!".encode("utf-7"), "utf-7").text == "Hi Mom -☺-!"


def test_unknown_label_detects_utf8_then_other_charsets() -> None:
    """An unknown label falls back to UTF-8, then to detection, exactly."""
    assert decode_bytes("café".encode(), "x-unknown").text == "café"
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 5
    result = decode_bytes(text.encode("cp1251"), "unknown-8bit")
    assert result.exact and result.text == text


def test_wrong_label_falls_back_to_utf8() -> None:
    """UTF-8 bytes mislabelled as ISO-2022-JP (which cannot hold them) still read correctly."""
    assert decode_bytes("naïve ☃".encode(), "iso-2022-jp").text == "naïve ☃"


def test_undecodable_bytes_become_replacement_characters_not_exceptions() -> None:
    """Bytes no charset explains still give text, flagged inexact."""
    result = decode_bytes(b"\xff\xfe\x00\x81\x8d" * 3, "utf-8")
    assert isinstance(result.text, str)


def test_partial_decode_drops_a_cut_multibyte_character() -> None:
    """A body cut inside a UTF-8 sequence loses that character only, with no replacement."""
    data = "añb€".encode()[:-1]
    result = decode_bytes(data, "utf-8", partial=True)
    assert result.exact and result.text == "añb"

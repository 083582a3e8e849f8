"""Bytes to text for imported files: byte-order marks, the encodings spreadsheets write (GBK/GB18030 from Excel in
mainland China, UTF-16 "Unicode text", Windows code pages), and files that are not text at all.

Detection looks at a sample (a BOM, then strict UTF-8, then charset-normalizer over the encodings business files
are written in), so a 200 MB file is decoded as a stream; a byte the chosen encoding cannot decode later in the file
stops the read with the row it is on instead of turning into replacement characters.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from bizpilot.errors import UnsupportedFormat, ValidationFailed

SAMPLE_BYTES = 1 << 20
# Tried by charset-normalizer when the sample is not UTF-8: what Excel and ERP exports are saved in.
CANDIDATES = ("utf_8", "gb18030", "big5", "shift_jis", "euc_kr", "cp1252", "cp1250", "cp1251", "latin_1")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"), (b"%PDF-", "a PDF document"), (b"RIFF", "a RIFF media file"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one: give it the .xlsx extension)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls/.doc): save it as .xlsx or CSV"),
    (b"\x1f\x8b", "gzip-compressed data (give it a .gz extension, e.g. data.csv.gz)"),
    (b"PAR1", "a Parquet file (give it the .parquet extension)"), (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"), (b"SQLite format 3\x00", "an SQLite database"),
)


@dataclass(frozen=True)
class Encoding:
    """The codec a text file is decoded with, and how it was chosen (for the import report)."""

    codec: str
    how: str  # "given", "byte-order mark", "detected"

    @property
    def label(self) -> str:
        name = {"utf-8-sig": "utf-8 with BOM", "utf-16": "utf-16 with BOM", "utf-32": "utf-32 with BOM"}
        return name.get(self.codec, self.codec.replace("_", "-"))

    @property
    def plain(self) -> bool:
        """Detected UTF-8 without a BOM: the default, which needs no note."""
        return self.codec == "utf-8" and self.how == "detected"

    def describe(self) -> str:
        return f"read as {self.label} ({self.how})"


def check_encoding_name(name: str) -> str:
    """A codec name the user typed (``--encoding gbk``), normalised; an unknown one is an error that says so."""
    try:
        return codecs.lookup(name.strip()).name
    except (LookupError, ValueError):
        raise ValidationFailed(f"unknown encoding '{name}': use a name such as utf-8, gb18030, gbk, utf-16, big5, "
                               "shift_jis or cp1252",
                               details=[{"field": "encoding", "reason": "unknown encoding"}]) from None


def not_text_reason(sample: bytes) -> str | None:
    """Why ``sample`` is not a text table (a PNG renamed to .csv, a program, an xlsx renamed), or None."""
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            return f"the file is {what}, not a text table"
    if any(sample.startswith(bom) for bom, _ in _BOMS):
        return None
    head = sample[:8192]
    if b"\x00" in head and _utf16_without_bom(head) is None:
        return "the file holds binary data (NUL bytes), not a text table"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 26, 27))
    if head and controls / len(head) > 0.05:
        return "the file holds binary data (control bytes), not a text table"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 saved without a BOM: ASCII-heavy text has a NUL in every other byte."""
    if len(head) < 8:
        return None
    odd, even = head[1::2], head[0::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def detect_encoding(sample: bytes, *, given: str | None = None, name: str = "the file") -> Encoding:
    """The encoding of a text file from its first bytes. ``given`` (the user's choice) wins, except that a UTF-8
    BOM is still skipped when the user said utf-8."""
    if given:
        codec = check_encoding_name(given)
        if codec == "utf-8" and sample.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        return Encoding(codec, "given")
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return Encoding(codec, "byte-order mark")
    utf16 = _utf16_without_bom(sample[:8192])
    if utf16:
        return Encoding(utf16, "detected")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)  # a cut multi-byte tail is fine
        return Encoding("utf-8", "detected")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(CANDIDATES)).best()
    if best is None:
        raise UnsupportedFormat(f"cannot tell the text encoding of {name}: save it as UTF-8 (or CSV UTF-8 in Excel) "
                                "or name the encoding (--encoding / the encoding field)",
                                details=[{"field": "encoding", "reason": "not detected"}])
    codec = codecs.lookup(best.encoding).name
    return Encoding(codec, "detected")

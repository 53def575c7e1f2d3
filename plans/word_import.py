"""Reading a filled-in Deficit Recovery Plan form (.docx) into the fields of a plan.

Pure: bytes in, a ``ReadPlan`` out (no Django, no database). ``monitoring.plan_import`` previews
and stores what this reads.

Fields are found by their labels wherever the form puts them: a table cell whose text is the label
with the value in the next cell or the cell below, a heading (or a paragraph that is the label)
with the answer in the paragraphs under it, or a paragraph "Label: value". Labels are compared
without regard to case, spacing, punctuation, units or the year in them ("25/26 Budget £'000",
"Budget 2025/26 (£000)"). The form's guidance under a heading is not part of the answer. A label
that is absent is a warning; so is an amount or a date that cannot be read (the text is kept).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from recovery import form_text
from recovery.money import MILLION, THOUSAND, MoneyError, format_thousands, parse_money
from recovery.periods import FinancialYear, Quarter, parse_due
from recovery.rag import OnTarget

MAX_BYTES = 10 * 1024 * 1024  # one upload (a .docx or a .zip of them)
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # what it unzips to: refuses zip bombs
MAX_DOCUMENT_XML_BYTES = 10 * 1024 * 1024  # the text of one document (a long form is ~200 KB)
MAX_BLOCKS = 20_000  # paragraphs and table cells of one document (a 40-page form has ~3,000)
MAX_UPLOAD_BLOCKS = 100_000  # the same in all the documents of one .zip (~7 s of reading)
MAX_FILES = 50  # documents in one .zip
MAX_ENTRIES = 1000  # parts of one archive (a .docx has a few dozen; a .zip at most MAX_FILES)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted Office file (or an old .doc)
WORD_MAIN = b"wordprocessingml.document.main+xml"
WORD_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# A DTD is how an XML file declares entities (the "billion laughs" bomb, a file read from the
# server); Word never writes one, so a part that has one is refused before anything parses it.
_DTD_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)


class WordUnreadable(ValueError):
    """The file as a whole cannot be read as a plan form (not a .docx, macros, encrypted …)."""


# Checking uploads --------------------------------------------------------------------------------


def _size_message() -> str:
    return f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit."


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's own name: a path in the archive (../, absolute, Windows) is only ever a name,
    nothing is unpacked to disk."""
    return PurePosixPath(info.filename.replace("\\", "/")).name


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """The archive, once its directory shows nothing that cannot or must not be read: too many
    parts, encrypted or oddly compressed parts, or more than MAX_UNCOMPRESSED_BYTES in all."""
    if data[:8] == OLE_MAGIC:
        raise WordUnreadable(
            f"{name} is password-protected (or an old Word .doc file): remove the password or save it as .docx."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise WordUnreadable(f"{name} is not a Word document (.docx) or a .zip of them.") from None
    problem = ""
    if len(entries) > MAX_ENTRIES:
        problem = (
            f"{name} holds too many parts ({len(entries):,}) to be a Word document or a .zip of them: it is refused."
        )
    elif any(info.flag_bits & 0x1 for info in entries):
        problem = f"{name} is password-protected: remove the password and upload it again."
    elif any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in entries):
        problem = f"{name} is compressed in a way Word does not use: save it again from Word (or zip it again)."
    elif sum(info.file_size for info in entries) > MAX_UNCOMPRESSED_BYTES:
        problem = f"{name} is too large once uncompressed: it is refused."
    if problem:
        archive.close()
        raise WordUnreadable(problem)
    return archive


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo | str, name: str) -> bytes:
    """A part of the archive; a damaged one (a wrong checksum, cut short) says so."""
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError) as error:
        raise WordUnreadable(f"{name} is damaged and cannot be read ({type(error).__name__}).") from None
    except RuntimeError:  # zipfile's "password required"
        raise WordUnreadable(f"{name} is password-protected: remove the password and upload it again.") from None
    except NotImplementedError:
        raise WordUnreadable(f"{name} is compressed in a way Word does not use: save it again from Word.") from None


def check_docx(data: bytes, name: str) -> int:
    """Refuse, with a message saying why, a file that is not a plain Word document; else its
    number of paragraphs and table cells."""
    if len(data) > MAX_BYTES:
        raise WordUnreadable(f"{name}: {_size_message()}")
    with _open_zip(data, name) as archive:
        parts = {info.filename: info for info in archive.infolist()}
        if "word/document.xml" not in parts:
            raise WordUnreadable(f"{name} is not a Word document (.docx).")
        if "[Content_Types].xml" not in parts:
            raise WordUnreadable(f"{name} is damaged: it has no list of its parts ([Content_Types].xml).")
        raw_types = _read(archive, parts["[Content_Types].xml"], name)
        types = raw_types.lower()
        macros = b"macroenabled" in types or b"vbaproject" in types
        macros = macros or any(part.lower().endswith("vbaproject.bin") for part in parts)
        xml_parts = _xml_parts(list(parts), raw_types, name)
        if any(parts[part].file_size > MAX_DOCUMENT_XML_BYTES for part in xml_parts):
            raise WordUnreadable(f"{name} is refused: its text is too long to be a plan form.")
        contents = {part: _read(archive, parts[part], name) for part in xml_parts}
        macros = macros or any(
            b"relationships/vbaproject" in content.lower()
            for part, content in contents.items()
            if part.endswith(".rels")
        )
        if macros:
            raise WordUnreadable(
                f"{name} is a macro-enabled document (.docm): macros are refused. Save it as a Word document (.docx)."
            )
        if WORD_MAIN not in types:
            if b"template.main+xml" in types:
                raise WordUnreadable(f"{name} is a Word template (.dotx): save it as a Word document (.docx).")
            raise WordUnreadable(f"{name} is damaged: it cannot be read (its list of parts names no Word document).")
        for part, content in contents.items():
            if any(marker in content for marker in _DTD_MARKERS):
                raise WordUnreadable(
                    f"{name} is refused: its part {part} has a document type declaration (DTD), which Word never "
                    "writes and which can hide an entity bomb."
                )
        blocks = sum(_block_count(content, name) for content in contents.values())
        if blocks > MAX_BLOCKS:
            raise WordUnreadable(
                f"{name} is refused: it has more than {MAX_BLOCKS:,} paragraphs and table cells, too long to be a "
                "plan form."
            )
        return blocks


def _xml_parts(names: list[str], content_types: bytes, name: str) -> list[str]:
    """Every part that python-docx may parse as XML: by its name (.xml, .rels), or by the content
    type the package gives it (an Override for the part, else the Default for its extension), so
    that a main document renamed "word/main.bin" is checked like "word/document.xml"."""
    from lxml import etree

    if any(marker in content_types for marker in _DTD_MARKERS):
        raise WordUnreadable(
            f"{name} is refused: its part [Content_Types].xml has a document type declaration (DTD), which Word "
            "never writes and which can hide an entity bomb."
        )
    try:
        root = etree.fromstring(content_types, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise WordUnreadable(f"{name} is damaged: it cannot be read (XMLSyntaxError: {error.msg}).") from None
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for element in root:
        tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if tag == "Default":
            defaults[element.get("Extension", "").lower()] = element.get("ContentType", "").lower()
        elif tag == "Override":
            overrides[element.get("PartName", "").lstrip("/").lower()] = element.get("ContentType", "").lower()
    xml = []
    for part in names:
        if part.endswith("/"):
            continue
        lowered = part.lower()
        content_type = overrides.get(lowered) or defaults.get(PurePosixPath(lowered).suffix.lstrip("."), "")
        if lowered.endswith((".xml", ".rels")) or content_type.endswith("xml"):
            xml.append(part)
    return xml


def _block_count(xml: bytes, name: str) -> int:
    """The paragraphs and table cells of an XML part, counted by lxml (in C, by namespace, not by
    prefix) before python-docx, which takes ~0.1 ms each, reads them: a small upload of a million
    empty paragraphs would keep a worker busy for minutes."""
    from lxml import etree

    tags = (f"{{{WORD_NAMESPACE}}}p", f"{{{WORD_NAMESPACE}}}tc")
    count = 0
    try:
        for _event, element in etree.iterparse(
            io.BytesIO(xml), events=("end",), tag=tags, resolve_entities=False, no_network=True
        ):
            count += 1
            element.clear(keep_tail=True)
            if count > MAX_BLOCKS:
                break
    except etree.XMLSyntaxError as error:
        raise WordUnreadable(f"{name} is damaged: it cannot be read (XMLSyntaxError: {error.msg}).") from None
    return count


def documents_in(data: bytes, name: str) -> list[tuple[str, bytes]]:
    """The Word documents of an upload: the one .docx, or every .docx in a .zip (and nothing else
    may be in it). Raises WordUnreadable for anything that is not that."""
    if len(data) > MAX_BYTES:
        raise WordUnreadable(_size_message())
    with _open_zip(data, name) as archive:
        names = archive.namelist()
        if "word/document.xml" in names:
            archive.close()
            check_docx(data, name)
            return [(name, data)]
        if PurePosixPath(name).suffix.lower() in (".docm", ".dotm"):
            raise WordUnreadable(f"{name} is a macro-enabled document: macros are refused.")
        if "[Content_Types].xml" in names:  # an Office file, but not a Word one (a workbook, slides)
            what = " (it is an Excel workbook)" if "xl/workbook.xml" in names else ""
            raise WordUnreadable(f"{name} is not a Word document (.docx){what}.")
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise WordUnreadable(f"{name} is not a Word document (.docx) or a .zip of them.")
        if len(members) > MAX_FILES:
            raise WordUnreadable(f"{name} holds more than {MAX_FILES} files: upload fewer at a time.")
        others = [info.filename for info in members if PurePosixPath(_member_name(info)).suffix.lower() != ".docx"]
        if others:
            raise WordUnreadable(
                f"{name} holds files that are not Word documents (.docx): {', '.join(others[:5])}. "
                "Nothing was imported."
            )
        found = []
        blocks = 0
        for info in members:
            member_name = _member_name(info)
            if info.file_size > MAX_BYTES:
                raise WordUnreadable(f"{member_name} in {name}: {_size_message()}")
            member = _read(archive, info, f"{member_name} in {name}")
            blocks += check_docx(member, member_name)
            if blocks > MAX_UPLOAD_BLOCKS:
                raise WordUnreadable(
                    f"The documents in {name} have more than {MAX_UPLOAD_BLOCKS:,} paragraphs and table cells in "
                    "all: upload fewer at a time."
                )
            found.append((member_name, member))
        return found


# The document as blocks ----------------------------------------------------------------------


@dataclass
class Para:
    text: str
    where: str
    italic: bool = False
    bullet: bool = False
    heading: bool = False


@dataclass
class Cell:
    blocks: list[Any]  # Para | Grid
    where: str

    @property
    def lines(self) -> list[str]:
        return block_lines(self.blocks)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()

    @property
    def first_line(self) -> str:
        for block in self.blocks:
            if isinstance(block, Para) and block.text.strip():
                return block.text.strip().split("\n")[0]
            if isinstance(block, Grid):
                return ""
        return ""


@dataclass
class Grid:
    rows: list[list[Cell]]
    where: str


# A tab and a no-break space are spaces; Unicode's line and paragraph separators are line breaks.
_PARAGRAPH_TEXT = str.maketrans({"\t": " ", "\xa0": " ", "\u2028": "\n", "\u2029": "\n"})


class _Styles:
    """The paragraph styles of a document, looked up once: python-docx's ``paragraph.style``
    searches every style of the document for each paragraph (5,000 paragraphs took 53 s)."""

    def __init__(self, document: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE

        self._by_id: dict[str, tuple[str, bool]] = {}
        for style in document.styles:
            if style.type == WD_STYLE_TYPE.PARAGRAPH and style.style_id:
                self._by_id[style.style_id] = (style.name or "", bool(style.font.italic))
        default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self._default = (default.name or "", bool(default.font.italic)) if default is not None else ("", False)

    def of(self, paragraph: Any) -> tuple[str, bool]:
        """The paragraph's style: its name, and whether the style is italic."""
        return self._by_id.get(paragraph._p.style or "", self._default)


def _is_italic(paragraph: Any, style_italic: bool) -> bool:
    runs = [run for run in paragraph.runs if run.text.strip()]
    if not runs:
        return False
    return all(run.italic or (run.italic is None and style_italic) for run in runs)


def _is_bullet(paragraph: Any, style: str) -> bool:
    if "List Bullet" in style or style == "List Paragraph":
        return True
    p_pr = paragraph._p.pPr
    return p_pr is not None and p_pr.numPr is not None and "Number" not in style


def _para(paragraph: Any, where: str, styles: _Styles) -> Para:
    style, style_italic = styles.of(paragraph)
    return Para(
        text=paragraph.text.translate(_PARAGRAPH_TEXT),
        where=where,
        italic=_is_italic(paragraph, style_italic),
        bullet=_is_bullet(paragraph, style),
        heading=style.startswith("Heading") or style == "Title",
    )


def _grid(table: Any, where: str, styles: _Styles) -> Grid:
    rows = []
    for row_number, row in enumerate(table.rows, start=1):
        cells: list[Cell] = []
        seen: set[int] = set()
        for column_number, cell in enumerate(row.cells, start=1):
            if id(cell._tc) in seen:  # a merged cell is listed once per column it spans
                continue
            seen.add(id(cell._tc))
            cell_where = f"{where}, row {row_number}, cell {column_number}"
            cells.append(Cell(list(_blocks(cell.iter_inner_content(), cell_where, styles)), cell_where))
        rows.append(cells)
    return Grid(rows, where)


def _blocks(items: Iterator[Any], where: str, styles: _Styles) -> Iterator[Para | Grid]:
    from docx.table import Table

    paragraphs = tables = 0
    inside = f"{where}: " if where else ""
    for item in items:
        if isinstance(item, Table):
            tables += 1
            yield _grid(item, f"{inside}table {tables}" if where else f"table {tables}", styles)
        else:
            paragraphs += 1
            yield _para(item, f"{inside}paragraph {paragraphs}" if where else f"paragraph {paragraphs}", styles)


def read_blocks(data: bytes, name: str = "The document") -> list[Para | Grid]:
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
        return list(_blocks(document.iter_inner_content(), "", _Styles(document)))
    except WordUnreadable:
        raise
    except Exception as error:  # python-docx and lxml raise many kinds of error for a damaged file
        raise WordUnreadable(f"{name} is damaged: it cannot be read ({type(error).__name__}).") from None


def block_lines(blocks: list[Any]) -> list[str]:
    """Blocks as narrative text: a line per paragraph (bullets as "· "), a "| a | b |" line per
    table row: the way the app writes narratives."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Grid):
            for row in block.rows:
                lines.append("| " + " | ".join(" ".join(cell.text.split("\n")) for cell in row) + " |")
        else:
            for part in block.text.split("\n"):
                part = part.strip()
                lines.append(("· " + part) if block.bullet and part else part)
    return lines


def _trimmed(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").strip()


# Labels -------------------------------------------------------------------------------------

_YEAR_IN_LABEL = re.compile(r"(?<!\d)(?:\d{4}|\d{2})\s*[/\-–]\s*(?:\d{4}|\d{2})(?!\d)|(?<!\d)20\d{2}(?!\d)")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^][]*\]")
_UNIT_WORDS = re.compile(r"£\s*['’`]?\s*0{3}s?|£\s*k\b|£\s*m\b|£|'000|’000")


def label_key(text: str) -> str:
    """A label reduced to its letters: no case, spacing, punctuation, units, years or brackets."""
    cleaned = text.lower().replace("’", "'")
    cleaned = _YEAR_IN_LABEL.sub(" ", cleaned)
    while True:  # innermost brackets first: "(Yes = GREEN; Partial (e.g. slipped) = AMBER)"
        shorter = _BRACKETS.sub(" ", cleaned)
        if shorter == cleaned:
            break
        cleaned = shorter
    cleaned = _UNIT_WORDS.sub(" ", cleaned)
    return re.sub(r"[^a-z]", "", cleaned)


def label_years(text: str) -> list[FinancialYear]:
    years = []
    for match in _YEAR_IN_LABEL.finditer(text):
        try:
            years.append(FinancialYear.parse(re.sub(r"\s+", "", match.group(0)).replace("–", "-")))
        except ValueError:
            continue
    return years


def label_multiplier(text: str) -> Decimal:
    """The unit a figure's label names: £'000 (the form's own), £m, or £ (pounds)."""
    lowered = text.lower().replace("’", "'")
    if re.search(r"£\s*m\b|\(m\)|millions?", lowered):
        return MILLION
    if re.search(r"0{3}|£\s*k\b|thousands?", lowered):
        return THOUSAND
    if re.search(r"\(£\)|\bpounds\b", lowered):
        return Decimal(1)
    return THOUSAND  # the form's figures are in £'000


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    pattern: re.Pattern[str]
    kind: str = "text"  # text | figure | narrative


def _spec(key: str, label: str, pattern: str, kind: str = "text") -> FieldSpec:
    return FieldSpec(key, label, re.compile(pattern), kind)


HEADER_SPECS = [
    _spec("directorate", "Directorate", r"^directorate(name)?$"),
    _spec("tracker_ref", "Combined tracker ref.", r"^(combined)?(savings)?trackerref(erence)?(no|number)?$"),
    _spec("service_director", "Service director", r"^(service)?director$"),
    _spec("service_area", "Service area", r"^servicearea(name)?$"),
    _spec("service_manager", "Service manager", r"^(service|budget)?(manager|holder)$"),
    _spec("cost_centres", "Activity / cost centres", r"^(activity)?(and|or)?costcent(re|er)s?(codes?)?$"),
    _spec("deficit_since", "In deficit since", r"^(in)?deficitsince$|^(budget)?indeficitsince(when)?$"),
]
BUDGET = re.compile(r"^(previous|last|prior|current|this)?(financial)?(year)?s?budget$")
OUTTURN = re.compile(r"^(previous|last|prior)?(financial)?(year)?s?outturn$")
PRESSURE = re.compile(r"^pressure")
CONTEXT = re.compile(r"context")
ACTIONS = re.compile(r"^(what)?actions?(plan|canbetaken|tokeep)|^actions?$|action.*spendinline")
MILESTONES_HEADING = re.compile(r"^timescale|^milestones?$|^keymilestones")
QUARTERLY_HEADING = re.compile(r"^quarterly(monitoring|updates?)")
QUARTER_MARKER = re.compile(r"^\s*(?:quarter|qtr)\s*([1-4]|one|two|three|four)\b|^\s*q([1-4])(?:\b|:)", re.IGNORECASE)
ON_TARGET = re.compile(r"^ontarget")
NARRATIVE = re.compile(r"narrative|^progressupdate$|^commentary$")
UPDATE_EXTRAS = {
    "milestones_explanation": re.compile(r"milestones?(were|have)?notmet|whymilestones|explanation"),
    "recovery_actions": re.compile(r"backontrack"),
    "alternative_proposal": re.compile(r"alternativeproposal|realign"),
}
SECTION_KEYS = (CONTEXT, ACTIONS, MILESTONES_HEADING, QUARTERLY_HEADING)
_GUIDANCE_KEYS = {label_key(text) for text in form_text.ALL_GUIDANCE}
_QUARTER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}


def _quarter_of(text: str) -> Quarter | None:
    match = QUARTER_MARKER.match(text)
    if not match:
        return None
    word = (match.group(1) or match.group(2)).lower()
    return Quarter(_QUARTER_WORDS.get(word) or int(word))


def _is_guidance(block: Any) -> bool:
    if not isinstance(block, Para):
        return False
    text = block.text.strip().lstrip("·•-*").strip()
    return bool(text) and (block.italic or label_key(text) in _GUIDANCE_KEYS)


def _without_guidance(blocks: list[Any]) -> list[Any]:
    """The answer: the blocks after the guidance that opens them (italic, or the form's own words,
    each at most once: a manager who starts the answer by quoting the guidance keeps the quote)."""
    index = 0
    used: set[str] = set()
    while index < len(blocks):
        block = blocks[index]
        if _blank(block):
            index += 1
            continue
        if not _is_guidance(block):
            break
        key = label_key(block.text)
        if key in used and not block.italic:
            break
        used.add(key)
        index += 1
    return blocks[index:]


def _blank(block: Any) -> bool:
    return isinstance(block, Para) and not block.text.strip()


# Reading figures, amounts and dates --------------------------------------------------------------

_LEADING_FIGURE = re.compile(
    r"^\s*(?P<figure>\(?\s*[-−–]?\s*£?\s*\d[\d,]*(?:\.\d+)?\s*(?:k|m|bn)?\s*\)?)(?=\s|$)", re.IGNORECASE
)
_AMOUNT = re.compile(r"\(?[-−–]?£?\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m)\b)?\)?", re.IGNORECASE)
_DASHES = {"", "-", "–", "—", "n/a", "nil", "none"}


def _blank_value(text: str) -> bool:
    return text.strip().lower() in _DASHES


def read_amount(text: str, default: Decimal) -> Decimal | None:
    """An amount as written, with its own unit when it has one (£1.2m, £366k) or the label's."""
    cleaned = text.strip().replace(" ", "")
    multiplier = default
    lowered = cleaned.lower().rstrip(")")
    if lowered.endswith("bn"):
        raise MoneyError(f"{text!r} is too large to be an amount.")
    if lowered.endswith("k") or lowered.endswith("m"):
        multiplier = THOUSAND if lowered.endswith("k") else MILLION
        cut = cleaned.lower().rfind(lowered[-1])
        cleaned = cleaned[:cut] + cleaned[cut + 1 :]
    if cleaned.startswith("(") != cleaned.endswith(")"):
        raise MoneyError(f"{text!r} is not an amount of money.")
    # Pounds with pence, times a multiplier, may have more places than pence: round to pence.
    value = parse_money(cleaned.replace("−", "-").replace("–", "-"), multiplier=Decimal(1))
    if value is None:
        return None
    return parse_money((value * multiplier).quantize(Decimal("0.01")))


@dataclass(frozen=True)
class Figure:
    amount: Decimal | None
    note: str
    problem: str = ""


def read_figure(text: str, multiplier: Decimal) -> Figure:
    """A form figure and the note written after it: "31,752 (£1,932k overspend …" → 31,752,000 and
    the note; prose with no leading amount is all note (and says so)."""
    text = text.strip()
    if _blank_value(text):
        return Figure(None, "")
    first, _, rest = text.partition("\n")
    if _blank_value(first.split(" ")[0]) and first.split(" ")[0]:
        return Figure(None, (first[len(first.split(" ")[0]) :].strip() + ("\n" + rest if rest else "")).strip())
    match = _LEADING_FIGURE.match(first)
    if match:
        try:
            amount = read_amount(match.group("figure"), multiplier)
        except MoneyError:
            amount = None
        if amount is not None:
            note = (first[match.end() :].strip() + ("\n" + rest if rest else "")).strip()
            return Figure(amount, note)
    return Figure(None, text, "no amount could be read: the text is kept as the note")


def read_on_target(text: str) -> OnTarget | None:
    cleaned = text.strip().lower()
    if not cleaned:
        return None
    first = re.split(r"[\s(=,.;:–-]+", cleaned)[0]
    try:
        return OnTarget.parse(first)
    except ValueError:
        pass
    for word in re.findall(r"[a-z]+", cleaned):
        try:
            return OnTarget.parse(word)
        except ValueError:
            continue
    return None


# What was read -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    message: str
    where: str = ""
    field: str = ""
    level: str = "warning"  # warning | error

    def __str__(self) -> str:
        parts = [part for part in (self.field, self.where) if part]
        return f"{' – '.join(parts)}: {self.message}" if parts else self.message


@dataclass
class FieldResult:
    key: str
    label: str
    found: bool = False
    where: str = ""
    text: str = ""  # as read from the document
    shown: str = ""  # as the plan will hold it

    @property
    def blank(self) -> bool:
        """The label is on the form but nothing was written beside it."""
        return self.found and not self.text.strip()


@dataclass
class MilestoneRow:
    details: str
    amount: Decimal | None
    per_year: bool
    due_text: str
    due_date: date | None
    where: str
    revised: str = ""  # a revised date, as a quarterly update recorded it ("(revised: March 24)")
    progress: str = ""  # the latest progress as written ("On track", "Met"), without "Yearly saving"


@dataclass
class UpdateRow:
    quarter: Quarter
    where: str
    on_target: str = ""  # OnTarget value or ""
    narrative: str = ""
    milestones_explanation: str = ""
    recovery_actions: str = ""
    alternative_proposal: str = ""

    @property
    def filled_in(self) -> bool:
        return bool(
            self.on_target
            or self.narrative
            or self.milestones_explanation
            or self.recovery_actions
            or self.alternative_proposal
        )


@dataclass
class ReadPlan:
    name: str
    year: FinancialYear | None = None
    values: dict[str, Any] = field(default_factory=dict)
    fields: list[FieldResult] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    updates: list[UpdateRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    directorate: str = ""
    service_area: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.level != "error"]

    def warn(self, message: str, *, where: str = "", field: str = "") -> None:
        self.problems.append(Problem(message, where, field))

    def error(self, message: str, *, where: str = "", field: str = "") -> None:
        self.problems.append(Problem(message, where, field, "error"))


# Finding labels ----------------------------------------------------------------------------------


@dataclass
class _Hit:
    """A label found in the document and the value beside or below it."""

    label: str  # the label as written
    key: str
    value_blocks: list[Any]
    where: str


def _cell_below(grid: Grid, row: int, column: int) -> Cell | None:
    if row + 1 >= len(grid.rows):
        return None
    below = grid.rows[row + 1]
    if len(below) == len(grid.rows[row]) and column < len(below):
        return below[column]
    return below[0] if len(below) == 1 else None


def _is_label_text(text: str) -> bool:
    key = label_key(text)
    if not key:
        return False
    patterns = (BUDGET, OUTTURN, PRESSURE, ON_TARGET, *SECTION_KEYS, *UPDATE_EXTRAS.values())
    return (
        _quarter_of(text) is not None
        or any(pattern.search(key) for pattern in patterns)
        or (len(key) < 40 and NARRATIVE.search(key) is not None)
        or any(spec.pattern.search(key) for spec in HEADER_SPECS)
    )


def _inline_hit(cell: Cell, label: str) -> _Hit | None:
    """A cell that holds "Label: value" (a label the form knows, then its answer)."""
    head, colon, tail = label.partition(":")
    if not colon or not tail.strip() or len(head) >= 80 or not _is_label_text(head):
        return None
    first = next(index for index, block in enumerate(cell.blocks) if isinstance(block, Para) and block.text.strip())
    paragraph = cell.blocks[first]
    answer = Para(paragraph.text.partition(":")[2].strip(), paragraph.where, paragraph.italic, paragraph.bullet)
    return _Hit(label=head, key=label_key(head), value_blocks=[answer, *cell.blocks[first + 1 :]], where=cell.where)


def _table_hits(grid: Grid, quarter: Quarter | None) -> tuple[list[tuple[_Hit, Quarter | None]], Quarter | None]:
    """Every label cell of a table, with the value next to it (or below it), and the quarter each
    is under (a "QUARTER 2 (to 30/09/23)" row starts a quarter); and the quarter at the end."""
    hits: list[tuple[_Hit, Quarter | None]] = []
    used: set[int] = set()
    for row_index, row in enumerate(grid.rows):
        for column_index, cell in enumerate(row):
            if id(cell) in used:
                continue
            label = cell.first_line
            marker = _quarter_of(label) if label else None
            if marker is not None and len(row) <= 2:
                quarter = marker
                continue
            inline = _inline_hit(cell, label)
            if inline is not None:  # "Service area: Children's Staffing" in one cell
                hits.append((inline, quarter))
                continue
            if not label or not _is_label_text(label):
                continue
            target: Cell | None = None
            if column_index + 1 < len(row):
                if not _is_label_text(row[column_index + 1].first_line):
                    target = row[column_index + 1]
            else:
                target = _cell_below(grid, row_index, column_index)
                if target is not None and _is_label_text(target.first_line):
                    target = None
            if target is None:
                continue
            used.add(id(target))
            hit = _Hit(label=label, key=label_key(label), value_blocks=target.blocks, where=target.where)
            hits.append((hit, quarter))
    return hits, quarter


class _Reader:
    def __init__(self, blocks: list[Para | Grid], name: str) -> None:
        self.blocks = blocks
        self.result = ReadPlan(name=name)
        self.hits: list[_Hit] = []
        self.hit_quarters: dict[int, Quarter | None] = {}
        self.header_tables: set[int] = set()

    # -- scanning ------------------------------------------------------------------------------

    def scan(self) -> None:
        quarter: Quarter | None = None
        index = 0
        while index < len(self.blocks):
            block = self.blocks[index]
            if isinstance(block, Grid):
                if self._column_tables(block):
                    index += 1
                    continue
                found, quarter = _table_hits(block, quarter)
                for hit, hit_quarter in found:
                    self.hits.append(hit)
                    self.hit_quarters[id(hit)] = hit_quarter
                index += 1
                continue
            text = block.text.strip()
            marker = _quarter_of(text)
            if marker is not None and (block.heading or len(text) < 60):
                quarter = marker
                index += 1
                continue
            key = label_key(text)
            if text and (block.heading or (len(text) < 200 and any(p.search(key) for p in (CONTEXT, ACTIONS)))):
                if any(pattern.search(key) for pattern in (CONTEXT, ACTIONS, NARRATIVE)) or (
                    quarter is not None and any(p.search(key) for p in UPDATE_EXTRAS.values())
                ):
                    end = self._region_end(index + 1)
                    hit = _Hit(
                        label=text,
                        key=key,
                        value_blocks=self.blocks[index + 1 : end],
                        where=f"under the heading “{_short(text)}”",
                    )
                    self.hits.append(hit)
                    self.hit_quarters[id(hit)] = quarter
                    index = end
                    continue
                if block.heading and not QUARTERLY_HEADING.search(key):
                    quarter = None  # a new section ends the quarter's
            elif ":" in text and not block.bullet:
                label, _, value = text.partition(":")
                if _is_label_text(label) and len(label) < 80:
                    hit = _Hit(
                        label=label,
                        key=label_key(label),
                        value_blocks=[Para(value.strip(), block.where)],
                        where=block.where,
                    )
                    self.hits.append(hit)
                    self.hit_quarters[id(hit)] = quarter
            index += 1

    def _region_end(self, start: int) -> int:
        index = start
        while index < len(self.blocks):
            block = self.blocks[index]
            if isinstance(block, Para):
                text = block.text.strip()
                key = label_key(text)
                if block.heading and text:
                    break
                if (
                    text
                    and len(text) < 200
                    and _quarter_of(text) is None
                    and any(p.search(key) for p in SECTION_KEYS)
                    and not _is_guidance(block)
                ):
                    break
            index += 1
        return index

    def _column_tables(self, grid: Grid) -> bool:
        """A table whose first row names its columns: milestones, or quarterly updates."""
        if not grid.rows:
            return False
        header = [_column_key(cell.text) for cell in grid.rows[0]]
        if "details" in header and ("amount" in header or "due" in header) and not self.result.milestones:
            self._milestones(grid, header)
            return True
        if "quarter" in header and ("on_target" in header or "narrative" in header):
            self._quarter_rows(grid, header)
            return True
        return False

    # -- tables with column headers ------------------------------------------------------------

    def _milestones(self, grid: Grid, header: list[str]) -> None:
        self.milestone_table = grid.where
        for row in grid.rows[1:]:
            cells = {header[i]: cell for i, cell in enumerate(row) if i < len(header)}
            texts = {name: cell.text for name, cell in cells.items()}
            if not any(texts.get(name, "").strip() for name in ("details", "amount", "due")):
                continue
            details = texts.get("details", "").strip()
            amount_text = texts.get("amount", "")
            progress = texts.get("progress", "")
            per_year = bool(re.search(r"year|annum|p\.a\.|annual", amount_text + " " + progress, re.IGNORECASE))
            where = cells["details"].where if "details" in cells else grid.where
            amount = None
            found = _AMOUNT.search(amount_text.replace("\n", " "))
            if found:
                try:
                    amount = read_amount(found.group(0), Decimal(1))
                except MoneyError as error:
                    self.result.warn(f"the amount {amount_text.strip()!r} cannot be read: {error}", where=where)
            elif amount_text.strip() and not _blank_value(amount_text):
                self.result.warn(f"the amount {amount_text.strip()!r} cannot be read", where=where, field="Milestone")
            due_text = texts.get("due", "").strip()
            revised = ""
            match = re.search(r"\s*\(revised:\s*(.*?)\)\s*$", due_text)
            if match:
                revised, due_text = match.group(1), due_text[: match.start()].strip()
            due_text = " ".join(due_text.split())
            due_date = parse_due(due_text) if due_text else None
            if due_text and due_date is None:
                self.result.warn(
                    f"the date {due_text!r} cannot be understood: it is kept as written, with no due date",
                    where=cells["due"].where if "due" in cells else where,
                    field="Milestone",
                )
            self.result.milestones.append(
                MilestoneRow(
                    details,
                    amount,
                    per_year,
                    due_text[:100],
                    due_date,
                    where,
                    revised[:100],
                    re.sub(r"(?i)\b(yearly|annual)\s+saving\b[;,]?", "", progress).strip(" ;,"),
                )
            )

    def _quarter_rows(self, grid: Grid, header: list[str]) -> None:
        for row in grid.rows[1:]:
            cells = {header[i]: cell for i, cell in enumerate(row) if i < len(header)}
            quarter = _quarter_of(cells["quarter"].text) if "quarter" in cells else None
            if quarter is None:
                continue
            update = self._update(quarter, cells["quarter"].where)
            if "on_target" in cells:
                self._on_target(update, cells["on_target"].text, cells["on_target"].where)
            if "narrative" in cells:
                update.narrative = _trimmed(block_lines(_without_guidance(cells["narrative"].blocks)))

    # -- assembling ----------------------------------------------------------------------------

    def _update(self, quarter: Quarter, where: str) -> UpdateRow:
        for update in self.result.updates:
            if update.quarter == quarter:
                return update
        update = UpdateRow(quarter=quarter, where=where)
        self.result.updates.append(update)
        return update

    def _on_target(self, update: UpdateRow, text: str, where: str) -> None:
        if not text.strip():
            return
        answer = read_on_target(text)
        if answer is None:
            self.result.warn(
                f"{text.strip()!r} is not an answer to “On target?” (Yes, Partial or No): left blank",
                where=where,
                field=f"{update.quarter.label} on target?",
            )
            return
        update.on_target = answer.value


def _column_key(text: str) -> str:
    cleaned = re.sub(r"[^a-z£]", "", text.lower())
    if cleaned in {"£", "amount", "amount£", "£amount", "saving", "savings", "value", "estimatedamount"}:
        return "amount"
    if cleaned.startswith("milestone") or cleaned in {"details", "action", "actions"}:
        return "details"
    if cleaned in {"date", "due", "duedate", "targetdate", "estimateddate", "when", "dateduedate"}:
        return "due"
    if "progress" in cleaned:
        return "progress"
    if cleaned.startswith("quarter"):
        return "quarter"
    if cleaned.startswith("ontarget"):
        return "on_target"
    if cleaned.startswith("narrative") or cleaned in {"commentary", "progressupdate"}:
        return "narrative"
    return cleaned


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


# The plan from the hits --------------------------------------------------------------------------


def _hit_text(hit: _Hit) -> str:
    return _trimmed(block_lines(_without_guidance(hit.value_blocks)))


_DEFICIT_LINE = re.compile(r"^\s*in deficit since[:\s]+(\S+?)\.?\s*$", re.IGNORECASE)
_SINCE = re.compile(r"\bsince\s+(?:at\s+least\s+|about\s+|around\s+)?((?:19|20)\d{2}\s*/\s*\d{2,4})", re.IGNORECASE)


def _assemble(reader: _Reader) -> ReadPlan:
    result = reader.result
    taken: dict[str, _Hit] = {}
    budgets: list[_Hit] = []
    outturns: list[_Hit] = []
    pressures: list[_Hit] = []
    hit: _Hit | None
    for hit in reader.hits:
        quarter = reader.hit_quarters.get(id(hit))
        if quarter is not None or ON_TARGET.search(hit.key) or (NARRATIVE.search(hit.key) and len(hit.key) < 40):
            if quarter is None:
                continue
            update = reader._update(quarter, hit.where)
            if ON_TARGET.search(hit.key):
                reader._on_target(update, _hit_text(hit), hit.where)
            elif NARRATIVE.search(hit.key):
                update.narrative = _hit_text(hit)
            else:
                for name, pattern in UPDATE_EXTRAS.items():
                    if pattern.search(hit.key):
                        setattr(update, name, _hit_text(hit))
                        break
            continue
        if BUDGET.search(hit.key):
            budgets.append(hit)
        elif OUTTURN.search(hit.key):
            outturns.append(hit)
        elif PRESSURE.search(hit.key):
            pressures.append(hit)
        elif CONTEXT.search(hit.key):
            taken.setdefault("context", hit)
        elif ACTIONS.search(hit.key):
            taken.setdefault("actions", hit)
        else:
            for spec in HEADER_SPECS:
                if spec.pattern.search(hit.key):
                    taken.setdefault(spec.key, hit)
                    break

    previous, current = _sort_budgets(budgets, outturns)
    year = _year(result, previous, current, outturns, pressures, reader)
    result.year = year

    def record(key: str, label: str, hit: _Hit | None, text: str, shown: str) -> None:
        result.fields.append(
            FieldResult(key, label, found=hit is not None, where=hit.where if hit else "", text=text, shown=shown)
        )
        if hit is None:
            result.warn("not found in the document: left blank", field=label)

    for spec in HEADER_SPECS:
        if spec.key == "deficit_since":
            continue
        hit = taken.get(spec.key)
        text = _hit_text(hit) if hit else ""
        value = "" if _blank_value(text) else text
        if spec.key in ("directorate", "service_area"):
            setattr(result, spec.key, value)
        else:
            result.values[spec.key] = value[:200] if spec.key != "cost_centres" else value
        record(spec.key, spec.label, hit, text, value)

    for key, label, hit in (
        ("previous_year_budget", "Previous year budget (£'000)", previous),
        ("previous_year_outturn", "Previous year outturn (£'000)", outturns[0] if outturns else None),
        ("current_year_budget", "Current year budget (£'000)", current),
    ):
        text = _hit_text(hit) if hit else ""
        figure = read_figure(text, label_multiplier(hit.label)) if hit else Figure(None, "")
        result.values[key] = figure.amount
        result.values[f"{key}_note"] = figure.note
        if figure.problem:
            result.warn(figure.problem, where=hit.where if hit else "", field=label)
        shown = _thousands(figure.amount) + (f" · note: {figure.note}" if figure.note else "")
        record(key, label, hit, text, shown)

    hit = pressures[0] if pressures else None
    text = _hit_text(hit) if hit else ""
    figure = read_figure(text, label_multiplier(hit.label)) if hit else Figure(None, "")
    result.values["pressure_note"] = figure.note
    computed = _pressure(result.values)
    if figure.amount is not None and computed is not None and figure.amount != computed:
        result.warn(
            f"the form states a pressure of {_thousands(figure.amount)}; the app computes {_thousands(computed)} "
            "(outturn − budget) and uses that",
            where=hit.where if hit else "",
            field="Pressure",
        )
    record(
        "pressure",
        "Pressure (£'000)",
        hit,
        text,
        (f"{_thousands(computed)} (computed)" if computed is not None else "—")
        + (f" · note: {figure.note}" if figure.note else ""),
    )

    for key, label in (("context", "Context behind the pressure"), ("actions", "Actions to keep spend in line")):
        hit = taken.get(key)
        text = _hit_text(hit) if hit else ""
        result.values[key] = text
        record(key, label, hit, text, text)

    _deficit_since(result, taken.get("deficit_since"))

    if not getattr(reader, "milestone_table", ""):
        result.warn("no milestones table (Milestone details | £ | Date) was found: no milestones", field="Milestones")
    result.updates = sorted((u for u in result.updates if u.filled_in), key=lambda u: u.quarter)
    return result


def _thousands(amount: Decimal | None) -> str:
    if amount is None:
        return "—"
    exponent = (amount / THOUSAND).normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"{format_thousands(amount, places=places)} (£'000)"


def _pressure(values: dict[str, Any]) -> Decimal | None:
    budget, outturn = values.get("previous_year_budget"), values.get("previous_year_outturn")
    if budget is None or outturn is None:
        return None
    result: Decimal = outturn - budget
    return result


def _deficit_since(result: ReadPlan, hit: _Hit | None) -> None:
    context: str = result.values.get("context", "")
    text, where = "", ""
    if hit is not None:
        text, where = _hit_text(hit), hit.where
    else:
        first, _, rest = context.partition("\n")
        line = _DEFICIT_LINE.match(first)
        if line:
            text, where = line.group(1), "the first line of the context"
            result.values["context"] = rest.strip("\n")
            for item in result.fields:
                if item.key == "context":
                    item.shown = result.values["context"]
        else:
            since = _SINCE.search(context)
            if since:
                text, where = re.sub(r"\s+", "", since.group(1)), "inside the context narrative"
    year = None
    if text and not _blank_value(text):
        try:
            year = FinancialYear.parse(text.strip().rstrip("."))
        except ValueError:
            result.warn(
                f"{text!r} is not a financial year (e.g. 2019/20): left blank", where=where, field="In deficit since"
            )
    result.values["deficit_since"] = year
    result.fields.append(
        FieldResult(
            "deficit_since", "In deficit since", found=bool(text), where=where, text=text, shown=str(year or "—")
        )
    )


def _sort_budgets(budgets: list[_Hit], outturns: list[_Hit]) -> tuple[_Hit | None, _Hit | None]:
    """Which budget is last year's and which this year's: by the years in their labels (or the
    outturn's year), by "previous"/"current" in them, else by order (the form's: last year first)."""
    if not budgets:
        return None, None
    previous = next((hit for hit in budgets if re.match(r"^(previous|last|prior)", hit.key)), None)
    current = next((hit for hit in budgets if re.match(r"^(current|this)", hit.key)), None)
    dated = [(label_years(hit.label)[0], hit) for hit in budgets if label_years(hit.label)]
    if previous is None and current is None and len(dated) >= 2:
        dated.sort(key=lambda item: item[0])
        return dated[0][1], dated[-1][1]
    if previous is None and current is None and len(dated) == 1 and outturns:
        outturn_years = label_years(outturns[0].label)
        if outturn_years:
            return (dated[0][1], None) if dated[0][0] == outturn_years[0] else (None, dated[0][1])
    if previous is None and current is None:
        return budgets[0], budgets[1] if len(budgets) > 1 else None
    if previous is None:
        previous = next((hit for hit in budgets if hit is not current), None)
    if current is None:
        current = next((hit for hit in budgets if hit is not previous), None)
    return previous, current


def _year(
    result: ReadPlan,
    previous: _Hit | None,
    current: _Hit | None,
    outturns: list[_Hit],
    pressures: list[_Hit],
    reader: _Reader,
) -> FinancialYear | None:
    """The plan's financial year (the current year) from the years the labels print."""
    if current is not None and label_years(current.label):
        return label_years(current.label)[0]
    for hit in [*outturns, *([previous] if previous else [])]:
        years = label_years(hit.label)
        if years:
            return years[0].next
    for hit in pressures:
        years = label_years(hit.label)
        if years:
            return max(years)
    return None


def read_plan(data: bytes, name: str) -> ReadPlan:
    """Read one filled-in plan form. Raises WordUnreadable if the file cannot be read at all."""
    check_docx(data, name)
    reader = _Reader(read_blocks(data, name), name)
    try:
        reader.scan()
        return _assemble(reader)
    except WordUnreadable:
        raise
    except Exception as error:  # a layout nobody foresaw must give a message, never a server error
        raise WordUnreadable(f"{name} could not be read as a plan form ({type(error).__name__}).") from None


def read_upload(data: bytes, name: str) -> list[ReadPlan]:
    """Every plan of an upload (one .docx or a .zip of them)."""
    return [read_plan(content, member) for member, content in documents_in(data, name)]


__all__ = [
    "MAX_BYTES",
    "ReadPlan",
    "WordUnreadable",
    "documents_in",
    "label_key",
    "read_plan",
    "read_upload",
]

"""Reading a Word plan form (pure: bytes in, fields out): labels found wherever the form puts
them and however they are written, figures with their notes and units, dates, guidance left out,
and every file that is not a plain Word document refused with a message."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plans import word_import
from plans.word_import import WordUnreadable, label_key, read_figure, read_plan, read_upload
from recovery.periods import FinancialYear


def _docx(build) -> bytes:
    document = Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document, rows):
    table = document.add_table(rows=0, cols=max(len(row) for row in rows))
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=False):
            cell.text = text
    return table


def _year_formats(year: FinancialYear) -> list[str]:
    start, end = year.start_year, year.start_year + 1
    return [
        f"{start % 100:02d}/{end % 100:02d}",
        f"{start}/{end % 100:02d}",
        f"{start}/{end}",
        f"{start}-{end % 100:02d}",
        f"{start} - {end % 100:02d}",
        f"{start % 100:02d}-{end % 100:02d}",
    ]


UNITS = ["£'000", "£’000", "(£000)", "£000s", "(£'000)", "£ 000", ""]


@st.composite
def respelled(draw, words: list[str]) -> str:
    """The words with other case, spacing and punctuation between them."""
    out = []
    for word in words:
        case = draw(st.sampled_from([str.lower, str.upper, str.title, lambda w: w]))
        out.append(case(word))
    separator = draw(st.sampled_from([" ", "  ", " - ", "_", "\u00a0", " / "]))
    return separator.join(out) + draw(st.sampled_from(["", ".", " ?", " *"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(min_value=2005, max_value=2095),
    formats=st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
    unit=st.sampled_from(UNITS),
    year_first=st.booleans(),
    budget=respelled(["budget"]),
    outturn=respelled(["outturn"]),
    area=respelled(["service", "area"]),
    director=respelled(["service", "director"]),
    centres=respelled(["activity", "cost", "centres"]),
    layout=st.sampled_from(["next cell", "cell below", "paragraph"]),
)
def test_labels_are_found_whatever_their_spacing_case_and_year_format(
    start, formats, unit, year_first, budget, outturn, area, director, centres, layout
):
    current = FinancialYear(start)
    previous = current.previous
    spelled = [
        _year_formats(previous)[formats[0]],
        _year_formats(previous)[formats[1]],
        _year_formats(current)[formats[2]],
    ]

    def label(words: str, year: str) -> str:
        text = f"{year} {words}" if year_first else f"{words.rstrip(':.?* ')} {year}"
        return f"{text} {unit}".strip()

    rows = [
        (label(budget, spelled[0]), "1,234"),
        (label(outturn, spelled[1]), "1,500 (£266k over)"),
        (label(budget, spelled[2]), "(2)"),
        (area, "Children’s Staffing"),
        (director, "A Director"),
        (centres, "FF4104, FF4105"),
    ]

    def build(document):
        if layout == "next cell":
            _table(document, rows)
        elif layout == "cell below":
            for name, value in rows:
                _table(document, [[name], [value]])
                document.add_paragraph("")
        else:
            for name, value in rows:
                document.add_paragraph(f"{name.rstrip(':')}: {value}")

    plan = read_plan(_docx(build), "form.docx")
    assert plan.year == current
    assert plan.values["previous_year_budget"] == Decimal("1234000")
    assert plan.values["previous_year_outturn"] == Decimal("1500000")
    assert plan.values["previous_year_outturn_note"] == "(£266k over)"
    assert plan.values["current_year_budget"] == Decimal("-2000")
    assert plan.service_area == "Children’s Staffing"
    assert plan.values["service_director"] == "A Director"
    assert plan.values["cost_centres"] == "FF4104, FF4105"


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("25/26 Budget £'000", "budget"),
        ("Budget 2025/26 (£000)", "budget"),
        ("BUDGET  2025-26", "budget"),
        ("Pressure on this activity in 23/24 (based on 22/23 outturn) £’000", "pressureonthisactivityin"),
        ("On Target ? (Yes = GREEN; Partial (e.g. milestones slipped) = AMBER, No = RED)", "ontarget"),
        ("Combined Tracker Ref.", "combinedtrackerref"),
    ],
)
def test_label_key_ignores_case_spacing_punctuation_units_and_years(label, key):
    assert label_key(label) == key


@pytest.mark.parametrize(
    ("text", "multiplier", "amount", "note"),
    [
        ("29,821", Decimal(1000), Decimal("29821000"), ""),
        ("-2", Decimal(1000), Decimal("-2000"), ""),
        ("(2)", Decimal(1000), Decimal("-2000"), ""),
        (
            "31,752 (£1,932k overspend being offset",
            Decimal(1000),
            Decimal("31752000"),
            "(£1,932k overspend being offset",
        ),
        ("£1.2m projected", Decimal(1000), Decimal("1200000"), "projected"),
        ("£366k final outturn", Decimal(1000), Decimal("366000"), "final outturn"),
        ("18,473.5", Decimal(1000), Decimal("18473500"), ""),
        ("12,345", Decimal(1), Decimal("12345"), ""),
        ("2.5 (£m)", Decimal(1_000_000), Decimal("2500000"), "(£m)"),
        ("—", Decimal(1000), None, ""),
        ("— note only", Decimal(1000), None, "note only"),
    ],
)
def test_a_figure_and_its_note_in_any_unit(text, multiplier, amount, note):
    figure = read_figure(text, multiplier)
    assert (figure.amount, figure.note, figure.problem) == (amount, note, "")


@pytest.mark.parametrize(
    "text",
    [
        "· £1.557m projected overspend variance\n· £366k final outturn overspend in 22/23",
        "Projected overspend as per Q3 is £765k.",
        "about 30 thousand",
        "(£1,932k overspend",
    ],
)
def test_prose_in_a_figure_field_is_kept_as_the_note_and_said(text):
    figure = read_figure(text, Decimal(1000))
    assert figure.amount is None
    assert figure.note == text
    assert figure.problem


def _form_with_milestones(rows):
    def build(document):
        _table(document, [["22/23 Budget £'000", "1"], ["22/23 Outturn £'000", "2"], ["23/24 Budget £'000", "3"]])
        _table(document, [["Milestone details", "£", "Date"], *rows])

    return _docx(build)


def test_milestone_amounts_and_dates_written_many_ways():
    plan = read_plan(
        _form_with_milestones(
            [
                ["Recruit", "Yearly saving\n£18,849.84", "December 23"],
                ["Restructure", "£80k", "31/12/2023"],
                ["Review", "80,000", "2023/2024"],
                ["Close", "£1.2m", "Jan '24"],
                ["Later", "£5,000", "sometime soon"],
                ["Nothing", "tbc", ""],
                ["", "", ""],
            ]
        ),
        "form.docx",
    )
    got = [
        (m.details, m.amount, m.per_year, m.due_text, m.due_date and m.due_date.isoformat()) for m in plan.milestones
    ]
    assert got == [
        ("Recruit", Decimal("18849.84"), True, "December 23", "2023-12-31"),
        ("Restructure", Decimal("80000"), False, "31/12/2023", "2023-12-31"),
        ("Review", Decimal("80000"), False, "2023/2024", "2024-03-31"),
        ("Close", Decimal("1200000"), False, "Jan '24", "2024-01-31"),
        ("Later", Decimal("5000"), False, "sometime soon", None),
        ("Nothing", None, False, "", None),
    ]
    messages = [str(problem) for problem in plan.warnings]
    assert any("'sometime soon' cannot be understood" in message for message in messages)
    assert any("'tbc' cannot be read" in message for message in messages)


def test_a_missing_label_is_a_warning_not_a_failure():
    form = _docx(lambda d: _table(d, [["22/23 Outturn £'000", "2"], ["23/24 Budget £'000", "3"]]))
    plan = read_plan(form, "thin.docx")
    assert plan.errors == []
    missing = {problem.field for problem in plan.warnings if "not found" in problem.message}
    assert {"Directorate", "Service director", "Previous year budget (£'000)", "Context behind the pressure"} <= missing
    assert plan.year == FinancialYear(2023)
    assert plan.values["current_year_budget"] == Decimal(3000)
    assert plan.values["previous_year_budget"] is None


def test_guidance_under_a_heading_is_not_the_answer_but_a_quoted_guidance_line_is():
    from recovery import form_text

    def build(document):
        document.add_heading("What action(s) can be taken to keep 23/24 spend in line with approved budget?", 2)
        for line in form_text.ACTIONS_GUIDANCE:
            document.add_paragraph(line, style="List Bullet")
        document.add_paragraph(form_text.ACTIONS_GUIDANCE[0])
        document.add_paragraph("Recruit permanent staff.")
        document.add_heading("Explain the context behind this pressure", 2)
        italic = document.add_paragraph()
        italic.add_run("Any words in italics under the heading are guidance.").italic = True
        document.add_paragraph("The budget has been in deficit since 2019/20.")

    plan = read_plan(_docx(build), "form.docx")
    assert plan.values["actions"] == form_text.ACTIONS_GUIDANCE[0] + "\nRecruit permanent staff."
    assert plan.values["context"] == "The budget has been in deficit since 2019/20."
    assert plan.values["deficit_since"] == FinancialYear(2019)


def test_quarterly_updates_in_the_form_layout_come_in_as_that_quarters_update():
    def build(document):
        table = document.add_table(rows=0, cols=2)
        for quarter, answer, narrative in (("1", "", ""), ("2", "Amber", "Slower than hoped."), ("3", "No", "")):
            row = table.add_row().cells
            row[0].merge(row[1]).text = f"QUARTER {quarter} (to 30/06/23)"
            row = table.add_row().cells
            row[0].text, row[1].text = "On Target ? (Yes = GREEN; Partial = AMBER, No = RED)", answer
            row = table.add_row().cells
            row[0].merge(row[1]).text = "Provide narrative below"
            row = table.add_row().cells
            row[0].merge(row[1]).text = narrative

    plan = read_plan(_docx(build), "form.docx")
    assert [(u.quarter.label, u.on_target, u.narrative) for u in plan.updates] == [
        ("Q2", "partial", "Slower than hoped."),
        ("Q3", "no", ""),
    ]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _macro_enabled(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    members["word/vbaProject.bin"] = b"\x00" * 64
    return _zip(members)


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    chunk = b"\x00" * (1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(word_import.MAX_UNCOMPRESSED_BYTES // len(chunk) + 1):
            member.write(chunk)
    return buffer.getvalue()


GOOD = _docx(lambda d: _table(d, [["23/24 Budget £'000", "3"]]))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"just some text", "is not a Word document"),
        ("picture.docx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "is not a Word document"),
        (
            "tracker.docx",
            _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
            "is not a Word",
        ),
        ("macros.docm", _macro_enabled(GOOD), "macro-enabled"),
        ("renamed.docx", _macro_enabled(GOOD), "macro-enabled"),
        ("secret.docx", word_import.OLE_MAGIC + b"\x00" * 600, "password-protected"),
        ("bomb.docx", _zip_bomb(), "too large once uncompressed"),
        ("mixed.zip", _zip({"a.docx": GOOD, "run-me.exe": b"MZ\x90\x00"}), "not Word documents (.docx): run-me.exe"),
        ("sneaky.zip", _zip({"a.docx": GOOD, "b.docx": _macro_enabled(GOOD)}), "macro-enabled"),
        ("empty.zip", _zip({}), "is not a Word document"),
        ("broken.docx", GOOD[: len(GOOD) // 2], "is not a Word document"),
        (
            "garbled.docx",
            _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document"}),
            "cannot be read",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else "",
)
def test_bad_files_are_refused_with_a_message(name, data, message):
    with pytest.raises(WordUnreadable, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read_upload(data, name)


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(word_import, "MAX_BYTES", len(GOOD) - 1)
    with pytest.raises(WordUnreadable, match="larger than the"):
        read_upload(GOOD, "big.docx")


def test_a_zip_of_forms_gives_each_form():
    plans = read_upload(_zip({"one.docx": GOOD, "forms/two.docx": GOOD}), "forms.zip")
    assert [plan.name for plan in plans] == ["one.docx", "two.docx"]


@pytest.mark.parametrize(("stated", "warned"), [("399", False), ("400", True), ("Overspend of £399k", False)])
def test_the_pressure_is_computed_and_a_stated_one_that_disagrees_is_a_warning(stated, warned):
    rows = [
        ["22/23 Budget £'000", "-2"],
        ["22/23 Outturn £'000", "397"],
        ["23/24 Budget £'000", "0"],
        ["Pressure on this activity in 23/24 (based on 22/23 outturn) £'000", stated],
    ]
    plan = read_plan(_docx(lambda d: _table(d, rows)), "form.docx")
    messages = [str(problem) for problem in plan.warnings if problem.field == "Pressure"]
    if warned:
        assert messages == [
            "Pressure – table 1, row 4, cell 2: the form states a pressure of 400 (£'000); "
            "the app computes 399 (£'000) (outturn − budget) and uses that"
        ]
    else:
        assert messages == []
    assert plan.values["pressure_note"] == ("" if stated[0].isdigit() else stated)


# Files made to hurt: every one is refused with a message (or read), never a crash ----------------


def _members(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        return {name: source.read(name) for name in source.namelist()}


def _stored_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _patched(archive: bytes, *, central: int | None = None, local: int | None = None, flag: int = 0) -> bytes:
    """The archive with its first entry's general-purpose flag or compression method changed (in
    the central directory and the local header): an encrypted member, an unknown method."""
    data = bytearray(archive)
    entry, header = data.find(b"PK\x01\x02"), data.find(b"PK\x03\x04")
    data[entry + 8] |= flag
    data[header + 6] |= flag
    if central is not None:
        data[entry + 10] = central
    if local is not None:
        data[header + 8] = local
    return bytes(data)


def _bad_crc(archive: bytes) -> bytes:
    data = bytearray(archive)
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 16] ^= 0xFF
    return bytes(data)


def _with_document_xml(replace: bytes, by: bytes, prolog: bytes = b"") -> bytes:
    members = _members(GOOD)
    xml = members["word/document.xml"]
    if prolog:
        xml = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + prolog + xml.split(b"?>", 1)[1]
    members["word/document.xml"] = xml.replace(replace, by)
    return _zip(members)


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
        for level in range(1, 10)
    )
    + b"]>"
)
XXE = b'<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'


def _vba_by_relationship() -> bytes:
    """A macro project under another name, found only by its relationship's type."""
    members = _members(GOOD)
    members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdMacro" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        b'Target="settings2.bin"/></Relationships>',
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/word/settings2.bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    members["word/settings2.bin"] = b"\x00" * 64
    return _zip(members)


def _content_type(old: bytes, new: bytes) -> bytes:
    members = _members(GOOD)
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(old, new)
    return _zip(members)


MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad-crc.zip", _bad_crc(_stored_zip({"a.docx": GOOD})), "is damaged"),
        ("bad-crc.docx", _bad_crc(_stored_zip(_members(GOOD))), "is damaged"),
        ("locked.zip", _patched(_zip({"a.docx": GOOD}), flag=1), "password-protected"),
        ("locked.docx", _patched(GOOD, flag=1), "password-protected"),
        ("aes.zip", _patched(_zip({"a.docx": GOOD}), central=99, local=99), "compressed in a way"),
        ("aes.docx", _patched(GOOD, central=99, local=99), "compressed in a way"),
        ("laughs.docx", _with_document_xml(b"3</w:t>", b"&lol9;</w:t>", LAUGHS), "document type declaration"),
        ("xxe.docx", _with_document_xml(b"3</w:t>", b"&secret;</w:t>", XXE), "document type declaration"),
        ("control.docx", _with_document_xml(b"3</w:t>", b"3&#11;</w:t>"), "is damaged"),
        (
            "lower-case.docx",
            _content_type(
                MAIN,
                MAIN.replace(
                    b"openxmlformats-officedocument.wordprocessingml.document", b"ms-word.document.macroenabled"
                ),
            ),
            "macro-enabled",
        ),
        ("hidden-macros.docx", _vba_by_relationship(), "macro-enabled"),
        ("template.docx", _content_type(MAIN, MAIN.replace(b"document.main", b"template.main")), "Word template"),
        ("no-types.docx", _zip({k: v for k, v in _members(GOOD).items() if k != "[Content_Types].xml"}), "is damaged"),
        ("empty-xml.docx", _with_document_xml(_members(GOOD)["word/document.xml"], b""), "is damaged"),
        ("inner.zip", _zip({"forms.zip": _zip({"a.docx": GOOD})}), "not Word documents (.docx): forms.zip"),
        ("renamed.zip", _zip({"a.docx": _zip({"b.docx": GOOD})}), "a.docx is not a Word document"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else "",
)
def test_hostile_files_are_refused_with_a_message_that_says_why(name, data, message):
    with pytest.raises(WordUnreadable, match=re.escape(message)):
        read_upload(data, name)


def test_too_many_entries_are_refused_before_they_are_read():
    many = _members(GOOD) | {f"customXml/item{index}.xml": b"" for index in range(word_import.MAX_ENTRIES + 1)}
    with pytest.raises(WordUnreadable, match="too many parts"):
        read_upload(_stored_zip(many), "many.docx")
    folders = {f"folder{index}/": b"" for index in range(word_import.MAX_ENTRIES + 1)} | {"a.docx": GOOD}
    with pytest.raises(WordUnreadable, match="too many parts"):
        read_upload(_stored_zip(folders), "folders.zip")


def test_names_in_a_zip_that_climb_out_of_it_are_only_names():
    """Nothing is unpacked to disk; a member's path (../, absolute, Windows) is reduced to its name."""
    plans = read_upload(
        _zip({"../../etc/evil.docx": GOOD, "/abs/other.docx": GOOD, "..\\..\\windows.docx": GOOD}), "forms.zip"
    )
    assert [plan.name for plan in plans] == ["evil.docx", "other.docx", "windows.docx"]


def test_a_form_of_many_paragraphs_is_read_in_good_time():
    """A small upload must not keep a worker busy: 5,000 empty paragraphs (a 35 KB file) took 53 s
    when every paragraph looked its style up among all the document's styles."""
    import time

    form = _with_document_xml(b"<w:body>", b"<w:body>" + b"<w:p/>" * 5000)
    started = time.monotonic()
    (plan,) = read_upload(form, "long.docx")
    assert time.monotonic() - started < 10
    assert plan.values["previous_year_budget"] == Decimal(3000)  # the form's one budget: read


def test_a_document_whose_text_is_larger_than_any_form_is_refused():
    form = _with_document_xml(b"<w:body>", b"<w:body>" + b"<w:p/>" * (word_import.MAX_DOCUMENT_XML_BYTES // 6 + 1))
    with pytest.raises(WordUnreadable, match="too long to be a plan form"):
        read_upload(form, "endless.docx")


@pytest.mark.parametrize(
    "build",
    [
        lambda document: None,
        lambda document: document.add_table(rows=3, cols=3),
        lambda document: document.add_paragraph("\u0085\u200b\u2028"),
    ],
    ids=["empty document", "empty table", "odd characters only"],
)
def test_an_empty_document_is_read_as_a_form_with_nothing_found(build):
    (plan,) = read_upload(_docx(build), "empty.docx")
    assert plan.year is None
    missing = {problem.field for problem in plan.warnings if "not found" in problem.message}
    assert {"Directorate", "Previous year budget (£'000)", "Context behind the pressure"} <= missing


def test_merged_cells_are_read_once_with_the_value_beside_them():
    def build(document):
        table = document.add_table(rows=3, cols=3)
        table.cell(0, 0).merge(table.cell(1, 0)).text = "Budget"
        table.cell(0, 1).text, table.cell(0, 2).text = "22/23 Budget £'000", "100"
        table.cell(1, 1).text, table.cell(1, 2).text = "23/24 Budget £'000", "110"
        table.cell(2, 0).merge(table.cell(2, 1)).text = "22/23 Outturn £'000"
        table.cell(2, 2).text = "120"

    (plan,) = read_upload(_docx(build), "merged.docx")
    assert plan.year == FinancialYear(2023)
    assert (
        plan.values["previous_year_budget"],
        plan.values["previous_year_outturn"],
        plan.values["current_year_budget"],
    ) == (Decimal(100000), Decimal(120000), Decimal(110000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), bundle=st.booleans())
def test_any_damage_to_a_file_is_a_message_never_a_crash(data, bundle):
    original = _zip({"a.docx": GOOD}) if bundle else GOOD
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = data.draw(st.integers(0, 255))
    try:
        read_upload(bytes(damaged), "forms.zip" if bundle else "form.docx")
    except WordUnreadable as error:
        outcome = str(error)  # any other exception fails the test
    else:
        outcome = "read"
    assert outcome


@pytest.mark.parametrize("separator", [": ", ":", " : ", ":\u00a0"])
def test_a_table_cell_that_is_label_colon_value_gives_the_value(separator):
    """Some templates put "Service area: …" in one cell of a header table, beside another field."""

    def build(document):
        _table(
            document,
            [
                [
                    f"Directorate{separator}Children, Families & Education",
                    f"Service area{separator}Children’s Staffing",
                ],
                [f"22/23 Budget £'000{separator}29,821", f"22/23 Outturn £'000{separator}31,752 (overspend)"],
                [f"23/24 Budget £'000{separator}31,085", "Service director"],
                ["", "Teresa Gallagher"],
            ],
        )

    (plan,) = read_upload(_docx(build), "form.docx")
    assert (plan.directorate, plan.service_area, plan.values["service_director"]) == (
        "Children, Families & Education",
        "Children’s Staffing",
        "Teresa Gallagher",
    )
    assert (plan.values["previous_year_budget"], plan.values["previous_year_outturn"]) == (
        Decimal(29821000),
        Decimal(31752000),
    )
    assert plan.values["previous_year_outturn_note"] == "(overspend)"
    assert plan.values["current_year_budget"] == Decimal(31085000)
    found = {item.key: item.where for item in plan.fields if item.found}
    assert found["service_area"] == "table 1, row 1, cell 2"


def test_unicode_line_and_paragraph_separators_in_a_form_are_line_breaks():
    def build(document):
        document.add_heading("Explain the context behind this pressure", 2)
        document.add_paragraph("In deficit since 2019/20.\u2029Agency staff cover vacancies.\u2028Costs rose.")

    (plan,) = read_upload(_docx(build), "form.docx")
    assert plan.values["context"] == "Agency staff cover vacancies.\nCosts rose."
    assert plan.values["deficit_since"] == FinancialYear(2019)


@pytest.mark.parametrize("prefix", [b"w", b"x"])
def test_a_form_of_more_paragraphs_than_any_plan_is_refused_before_it_is_read(prefix):
    """A million empty paragraphs zip to a few KB; python-docx would take minutes over them."""
    import time

    form = _with_document_xml(b"<w:body>", b"<w:body>" + b"<w:p/>" * (word_import.MAX_BLOCKS + 1))
    if prefix != b"w":  # the same document with another namespace prefix is counted the same
        members = _members(form)
        members["word/document.xml"] = (
            members["word/document.xml"].replace(b"w:", prefix + b":").replace(b"xmlns:w=", b"xmlns:" + prefix + b"=")
        )
        form = _zip(members)
        assert b"<x:p/>" in members["word/document.xml"]
    started = time.monotonic()
    with pytest.raises(WordUnreadable, match="more than 20,000 paragraphs and table cells"):
        read_upload(form, "endless.docx")
    assert time.monotonic() - started < 5


def _main_part_renamed(change=lambda xml: xml) -> bytes:
    """The document's body moved to "word/main.bin" (its relationship and content type follow), a
    harmless empty "word/document.xml" left beside it: python-docx reads main.bin."""
    members = _members(GOOD)
    body = members.pop("word/document.xml")
    members["word/document.xml"] = (
        b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body/></w:document>"
    )
    members["word/main.bin"] = change(body)
    members["_rels/.rels"] = members["_rels/.rels"].replace(b"word/document.xml", b"word/main.bin")
    members["word/_rels/main.bin.rels"] = members.pop("word/_rels/document.xml.rels")
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b'PartName="/word/document.xml"', b'PartName="/word/main.bin"'
    )
    return _zip(members)


def test_a_main_document_under_another_name_is_checked_like_document_xml():
    import time

    (plan,) = read_upload(_main_part_renamed(), "renamed.docx")
    assert plan.values["previous_year_budget"] == Decimal(3000)  # it is what python-docx reads

    def laughs(xml: bytes) -> bytes:
        return b'<?xml version="1.0"?>' + LAUGHS + xml.split(b"?>", 1)[1].replace(b"3</w:t>", b"&lol9;</w:t>")

    with pytest.raises(WordUnreadable, match=re.escape("its part word/main.bin has a document type declaration")):
        read_upload(_main_part_renamed(laughs), "bomb.docx")

    def endless(xml: bytes) -> bytes:
        return xml.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * 300_000)

    started = time.monotonic()
    with pytest.raises(WordUnreadable, match="more than 20,000 paragraphs and table cells"):
        read_upload(_main_part_renamed(endless), "endless.docx")
    assert time.monotonic() - started < 5


def test_a_zip_of_long_documents_is_refused_when_they_are_too_long_in_all():
    """Each under the limit for one document, together more than an upload may make the server
    read (50 of them would take over a minute)."""
    import time

    each = word_import.MAX_UPLOAD_BLOCKS // 5 - 1000
    assert each < word_import.MAX_BLOCKS
    long_form = _with_document_xml(b"<w:body>", b"<w:body>" + b"<w:p/>" * each)
    started = time.monotonic()
    with pytest.raises(WordUnreadable, match="more than 100,000 paragraphs and table cells in all"):
        read_upload(_zip({f"form{index}.docx": long_form for index in range(6)}), "forms.zip")
    assert time.monotonic() - started < 5

"""The import preview does not quietly undo work done in the app: it lists every scheme the file
would add or change, each value old → new (figures, RAG, commentary); it flags a change to a
value someone edited in the app after the last import of that row, naming who and when (from
the history); finance can untick schemes, and only the ticked ones are written; the confirm
refuses (409, nothing written) if the file or the app's figures moved since the preview."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.import_changes import IMPORT_REASON
from monitoring.imports import tracker_import, tracker_preview
from monitoring.models import Scheme, SchemeQuarter
from plans.roles import Role
from recovery.periods import Quarter
from recovery.rag import RAG
from tests.factories import UserFactory
from tests.monitoring.tracker_helpers import HEADER, scheme, state, xlsx

pytestmark = pytest.mark.django_db

HEADER_WITH_COMMENTARY = (*HEADER, "RAG reason", "Commentary")
AGENCY = "1 Reduced Agency Spend"
HOMECARE = "2 Homecare review"


def rows(agency: dict | None = None, homecare: dict | None = None, third: dict | None = None) -> bytes:
    """Three schemes of 2023/24 Q2 (the defaults), with changes by column name."""
    base = [
        scheme() | {"Commentary": "On track", "RAG reason": ""},
        scheme(ref="2", title="Homecare review", target=500000, ytd_actual=200000, rag="GREEN")
        | {"Commentary": "", "RAG reason": ""},
        scheme(ref="3", title="Transport", target=90000, ytd_actual=45000, rag="GREEN")
        | {"Commentary": "", "RAG reason": ""},
    ]
    for row, change in zip(base, (agency, homecare, third), strict=True):
        row.update(change or {})
    return xlsx(base, HEADER_WITH_COMMENTARY)


@pytest.fixture
def importer(db):
    return UserFactory(username="importer", first_name="Ida", last_name="Importer", role=Role.FINANCE_OFFICER)


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", first_name="Femi", last_name="Editor", role=Role.FINANCE_OFFICER)


@pytest.fixture
def imported(importer):
    summary = tracker_import(source=rows(), user=importer)
    assert summary.committed
    return summary


def quarter_of(title: str) -> SchemeQuarter:
    return SchemeQuarter.objects.get(scheme__title=title, quarter=Quarter.Q2)


def edit_in_app(user, title: str, **fields) -> SchemeQuarter:
    """Finance edits a scheme's Q2 figures in the grid (the service the grid calls)."""
    row = quarter_of(title)
    rag = fields.pop("rag", row.rag_status)
    return services.scheme_quarter_save(
        scheme=row.scheme,
        quarter=Quarter.Q2,
        user=user,
        fields=fields,
        rag=rag,
        rag_reason=fields.pop("rag_reason", "Edited in the app") if rag != row.rag_status else "",
        expected_version=row.version,
    )


def listed(summary) -> dict[str, list[tuple[str, str, str, str]]]:
    return {
        change.title: [(item.where, item.label, item.old, item.new) for item in change.changes]
        for change in summary.changes
    }


# Every change, old → new


def test_the_preview_lists_every_scheme_it_would_change_old_to_new(imported):
    summary = tracker_preview(
        source=rows(
            agency={"YTD actual": 120000, "RAG": "RED", "RAG reason": "Agency use rose", "Commentary": "Slipping"},
            homecare={"Target": 550000},
        )
    )

    assert (summary.new, summary.updated, summary.unchanged) == (0, 2, 1)
    assert listed(summary) == {
        AGENCY: [
            ("", "Challenges (commentary)", "On track", "Slipping"),
            ("Q2", "YTD actual", "£100,000", "£120,000"),
            ("Q2", "RAG", "Amber", "Red"),
            ("Q2", "RAG reason", "blank", "Agency use rose"),
        ],
        HOMECARE: [("", "Target", "£500,000", "£550,000")],
    }
    assert [change.rows for change in summary.changes] == [[2], [3]]
    assert summary.flagged == []


def test_a_new_scheme_is_listed_and_a_blank_cell_is_nil_not_a_change(imported):
    """A blank cell in a column the tracker has is nil (DOMAIN.md), as a dash or a 0 is: a
    blank where £0 is stored changes nothing, and a new scheme's blanks are listed as £0."""
    extra = scheme(ref="9", title="New scheme", target=1000, ytd_budget=None, ytd_actual=None, rag=None)
    data = xlsx(
        [
            scheme() | {"Commentary": "On track", "RAG reason": "", "Projected shortfall": None},
            extra | {"Projected shortfall": 0, "Commentary": "", "RAG reason": ""},
        ],
        HEADER_WITH_COMMENTARY,
    )
    summary = tracker_preview(source=data)

    changes = {change.title: change for change in summary.changes}
    assert AGENCY not in changes
    assert changes["9 New scheme"].new
    assert [(c.where, c.label, c.old, c.new) for c in changes["9 New scheme"].changes] == [
        ("", "Recurrent", "—", "R"),
        ("", "Target", "—", "£1,000"),
        ("Q2", "YTD budget", "—", "£0"),
        ("Q2", "YTD actual", "—", "£0"),
        ("Q2", "Projected shortfall", "—", "£0"),
    ]


def test_a_file_that_changes_nothing_lists_nothing(imported):
    summary = tracker_preview(source=rows())
    assert summary.changes == []
    assert (summary.updated, summary.unchanged) == (0, 3)


# Edits made in the app since the last import


def test_a_figure_edited_in_the_app_after_the_import_is_flagged_with_who_and_when(imported, editor):
    edited = edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    when = edited.history.latest().history_date

    summary = tracker_preview(source=rows(agency={"YTD actual": 120000}, homecare={"YTD actual": 210000}))

    (flagged,) = summary.flagged
    assert flagged.title == AGENCY
    (item,) = flagged.flagged
    assert (item.label, item.old, item.new) == ("YTD actual", "£110,000", "£120,000")
    assert (item.edited_by, item.edited_at, item.imported_before) == ("Femi Editor", when, True)
    homecare = next(change for change in summary.changes if change.title == HOMECARE)
    assert homecare.flagged == []  # changed by the file, never touched in the app


def test_the_file_putting_back_the_imported_value_is_flagged_too(imported, editor):
    """The file still says 100,000; finance corrected it to 110,000 in the app: importing the
    same old file again would undo the correction."""
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))

    summary = tracker_preview(source=rows())

    (change,) = summary.changes
    assert [(i.label, i.old, i.new, i.edited_by) for i in change.changes] == [
        ("YTD actual", "£110,000", "£100,000", "Femi Editor")
    ]


def test_only_the_fields_edited_in_the_app_are_flagged(imported, editor):
    edit_in_app(editor, "Reduced Agency Spend", ytd_budget=Decimal("160000"))
    summary = tracker_preview(source=rows(agency={"YTD budget": 160000, "YTD actual": 130000}))
    (change,) = summary.changes
    assert [(i.label, bool(i.edited_by)) for i in change.changes] == [("YTD actual", False)]
    assert summary.flagged == []


@pytest.mark.parametrize("field", ["rag", "commentary-is-not-a-figure"])
def test_a_rag_edited_in_the_app_is_flagged(imported, editor, field):
    if field == "rag":
        edit_in_app(editor, "Reduced Agency Spend", rag=RAG.RED, rag_reason="Agency spend is up")
        summary = tracker_preview(source=rows(agency={"RAG": "GREEN", "RAG reason": "Back on track"}))
        assert [(i.label, i.edited_by) for i in summary.flagged[0].flagged] == [
            ("RAG", "Femi Editor"),
            ("RAG reason", "Femi Editor"),
        ]
    else:
        # The grid's own commentary is the quarter's; the tracker's Commentary is the scheme's
        # challenges: an edit of one is not overwritten by the other.
        edit_in_app(editor, "Reduced Agency Spend", commentary="typed in the grid")
        summary = tracker_preview(source=rows(agency={"Commentary": "from the file"}))
        assert summary.flagged == []


def test_once_imported_again_an_earlier_app_edit_is_no_longer_flagged(imported, editor, importer):
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    assert tracker_import(source=rows(agency={"YTD actual": 120000}), user=importer).committed

    summary = tracker_preview(source=rows(agency={"YTD actual": 130000}))

    assert len(summary.changes) == 1
    assert summary.flagged == []
    history = quarter_of("Reduced Agency Spend").history.order_by("history_date", "history_id")
    assert [record.history_change_reason for record in history] == [IMPORT_REASON, None, IMPORT_REASON]


def test_a_row_created_in_the_app_and_never_imported_is_flagged_as_never_imported(imported, editor):
    third = SchemeQuarter.objects.get(scheme__title="Transport")
    services.scheme_quarter_save(
        scheme=third.scheme, quarter=Quarter.Q3, user=editor, fields={"ytd_actual": Decimal("60000")}
    )
    data = xlsx([scheme(ref="3", title="Transport", quarter="Q3", target=90000, ytd_actual=70000, rag=None)])

    summary = tracker_preview(source=data)

    (item,) = summary.flagged[0].flagged
    assert (item.label, item.old, item.new, item.edited_by, item.imported_before) == (
        "YTD actual",
        "£60,000",
        "£70,000",
        "Femi Editor",
        False,
    )


def test_a_change_made_by_a_command_is_not_an_app_edit(imported):
    row = quarter_of("Reduced Agency Spend")
    row.ytd_actual = Decimal("110000")
    row.save()  # no user: a command or the demo loader

    summary = tracker_preview(source=rows())
    assert len(summary.changes) == 1
    assert summary.flagged == []


# Unticking schemes


def test_only_the_ticked_schemes_are_written(imported, editor, importer):
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    data = rows(agency={"YTD actual": 120000}, homecare={"YTD actual": 210000})
    preview = tracker_preview(source=data)
    keys = {change.title: change.key for change in preview.changes}

    summary = tracker_import(
        source=data, user=importer, only={keys[HOMECARE]}, expected_fingerprint=preview.fingerprint
    )

    assert summary.committed
    assert (summary.new, summary.updated, summary.unchanged, summary.skipped) == (0, 1, 1, 1)
    assert quarter_of("Reduced Agency Spend").ytd_actual == Decimal("110000")  # the app's edit stays
    assert quarter_of("Homecare review").ytd_actual == Decimal("210000")


def test_nothing_ticked_writes_nothing(imported, importer):
    data = rows(agency={"YTD actual": 120000})
    preview = tracker_preview(source=data)
    before = state()
    summary = tracker_import(source=data, user=importer, only=set(), expected_fingerprint=preview.fingerprint)
    assert summary.committed
    assert summary.skipped == 1
    assert state() == before


def test_an_unticked_new_scheme_creates_no_service_area_either(importer):
    data = xlsx([scheme(service_area="A new area"), scheme(ref="2", title="Other")])
    preview = tracker_preview(source=data)
    keys = {change.title: change.key for change in preview.changes}
    summary = tracker_import(
        source=data, user=importer, only={keys["2 Other"]}, expected_fingerprint=preview.fingerprint
    )
    assert summary.committed
    assert list(Scheme.objects.values_list("title", "service_area__name")) == [("Other", "Living and Ageing Well")]


# The confirm checks that nothing moved since the preview


def test_an_app_edit_between_preview_and_confirm_makes_the_confirm_stale(imported, editor, importer):
    data = rows(agency={"YTD actual": 120000})
    preview = tracker_preview(source=data)
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    before = state()

    summary = tracker_import(source=data, user=importer, expected_fingerprint=preview.fingerprint)

    assert summary.stale
    assert not summary.committed
    assert state() == before
    again = tracker_preview(source=data)
    assert again.fingerprint != preview.fingerprint
    assert tracker_import(source=data, user=importer, expected_fingerprint=again.fingerprint).committed
    assert quarter_of("Reduced Agency Spend").ytd_actual == Decimal("120000")


# In the browser

UPLOAD = reverse("monitoring:tracker_upload")


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def upload(client, data: bytes):
    return client.post(UPLOAD, {"file": SimpleUploadedFile("tracker.xlsx", data)})


def confirm(client, preview, ticked=None, **extra):
    summary = preview.context["summary"]
    keys = [change.key for change in summary.changes] if ticked is None else ticked
    url = reverse("monitoring:tracker_confirm", args=[preview.context["token"]])
    return client.post(url, {"fingerprint": summary.fingerprint, "scheme": keys, **extra})


def test_the_preview_page_shows_the_changes_the_flag_and_a_tick_box_each(client, imported, editor, importer):
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    client.force_login(importer)
    response = upload(client, rows(agency={"YTD actual": 120000}, homecare={"RAG": "AMBER", "RAG reason": "Slower"}))

    assert response.status_code == 200
    page = page_of(response)
    assert "What would change: 2 schemes" in page
    assert "1 scheme has figures someone edited in the app since the last import" in page
    edited_at = timezone.localtime(quarter_of("Reduced Agency Spend").history.latest().history_date)
    assert (
        "Q2 YTD actual: £110,000 → <strong>£120,000</strong>\n"
        '              <span class="badge text-bg-warning">edited in the app</span> by Femi Editor on '
        f"{edited_at:%-d %b %Y, %H:%M}, after the last import"
    ) in page
    assert "Q2 RAG: Green → <strong>Amber</strong>" in page
    assert (
        len(re.findall(r'<input class="form-check-input" type="checkbox" name="scheme" value="[0-9a-f]{16}"', page))
        == 2
    )
    assert page.count(" checked>") == 2


def test_confirming_with_a_scheme_unticked_leaves_it_as_it_is(client, imported, editor, importer):
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    client.force_login(importer)
    preview = upload(client, rows(agency={"YTD actual": 120000}, homecare={"YTD actual": 210000}))
    keys = {change.title: change.key for change in preview.context["summary"].changes}

    response = confirm(client, preview, ticked=[keys[HOMECARE]])

    assert response.status_code == 302
    messages = [str(message) for message in client.get(response["Location"]).context["messages"]]
    assert messages == ["Imported: 0 new, 1 updated and 1 unchanged schemes. 1 left as they were, as you chose."]
    assert quarter_of("Reduced Agency Spend").ytd_actual == Decimal("110000")
    assert quarter_of("Homecare review").ytd_actual == Decimal("210000")


def test_a_confirm_after_an_app_edit_is_a_409_with_the_new_preview(client, imported, editor, importer):
    client.force_login(importer)
    preview = upload(client, rows(agency={"YTD actual": 120000}))
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    before = state()

    response = confirm(client, preview)

    assert response.status_code == 409
    assert state() == before
    page = page_of(response)
    assert "Nothing was imported: something changed since your preview" in page
    assert "edited in the app</span> by Femi Editor" in page
    assert response.context["token"] == preview.context["token"]
    assert confirm(client, response).status_code == 302
    assert quarter_of("Reduced Agency Spend").ytd_actual == Decimal("120000")


def test_a_file_swapped_after_the_preview_is_not_imported(client, imported, importer):
    client.force_login(importer)
    preview = upload(client, rows(agency={"YTD actual": 120000}))
    name = f"tracker-uploads/{preview.context['token']}.xlsx"
    default_storage.delete(name)
    default_storage.save(name, ContentFile(rows(agency={"YTD actual": 999999})))
    before = state()

    response = confirm(client, preview)

    assert response.status_code == 409
    assert state() == before
    assert "£100,000 → <strong>£999,999</strong>" in page_of(response)


@pytest.mark.parametrize("fingerprint", [None, "", "0" * 63, "not-a-fingerprint"])
def test_a_confirm_without_the_previews_fingerprint_imports_nothing(client, imported, importer, fingerprint):
    client.force_login(importer)
    preview = upload(client, rows(agency={"YTD actual": 120000}))
    url = reverse("monitoring:tracker_confirm", args=[preview.context["token"]])
    data = {} if fingerprint is None else {"fingerprint": fingerprint}
    before = state()

    response = client.post(url, data, follow=True)

    assert response.redirect_chain == [(UPLOAD, 302)]
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["That confirmation did not come from the preview: upload the file again."]
    assert state() == before


def test_the_command_line_dry_run_warns_of_an_app_edit(tmp_path, imported, editor):
    edit_in_app(editor, "Reduced Agency Spend", ytd_actual=Decimal("110000"))
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(rows(agency={"YTD actual": 120000}))
    out = StringIO()
    call_command("import_tracker", str(path), "--dry-run", stdout=out, stderr=StringIO())
    edited_at = timezone.localtime(quarter_of("Reduced Agency Spend").history.latest().history_date)
    assert out.getvalue().splitlines() == [
        "3 scheme rows: 0 new, 1 updated, 2 unchanged (would be imported).",
        f"warning: row 2: {AGENCY} (Living and Ageing Well) Q2 YTD actual was edited in the app by Femi Editor "
        f"on {edited_at:%d/%m/%Y %H:%M} since the last import: £110,000 → £120,000",
    ]

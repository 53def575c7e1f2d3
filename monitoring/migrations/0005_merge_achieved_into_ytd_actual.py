"""One fact, one field: "achieved to date" (seed 002) and "YTD actual" (seed 004) are both the
savings delivered in the year up to the quarter's end. Their values are merged into ytd_actual
(where both were set and differ, YTD actual is kept and the rows are listed), in the history
too, and stated totals of "achieved_to_date" become stated totals of "ytd_actual"."""

from django.db import migrations, models


def merge_achieved_into_ytd_actual(apps, schema_editor):
    SchemeQuarter = apps.get_model("monitoring", "SchemeQuarter")
    HistoricalSchemeQuarter = apps.get_model("monitoring", "HistoricalSchemeQuarter")
    StatedTotal = apps.get_model("monitoring", "StatedTotal")
    differing = []
    rows = SchemeQuarter.objects.filter(achieved_to_date__isnull=False).select_related("scheme")
    for row in rows.order_by("pk"):
        if row.ytd_actual is None:
            row.ytd_actual = row.achieved_to_date
            row.save(update_fields=["ytd_actual"])
        elif row.ytd_actual != row.achieved_to_date:
            differing.append(row)
    HistoricalSchemeQuarter.objects.filter(achieved_to_date__isnull=False, ytd_actual__isnull=True).update(
        ytd_actual=models.F("achieved_to_date")
    )
    if differing:
        print(
            f"\n  {len(differing)} scheme quarter(s) had both an achieved to date and a different YTD actual; "
            "YTD actual is kept:"
        )
        for row in differing:
            scheme = row.scheme
            print(
                f"    scheme {scheme.pk} {scheme.ref} {scheme.title!r} {scheme.financial_year} Q{row.quarter}: "
                f"achieved to date {row.achieved_to_date}, YTD actual {row.ytd_actual} (kept)"
            )
    for stated in StatedTotal.objects.filter(column="achieved_to_date"):
        twin = StatedTotal.objects.filter(
            financial_year=stated.financial_year,
            quarter=stated.quarter,
            scope=stated.scope,
            column="ytd_actual",
            source=stated.source,
        )
        if twin.exists():
            stated.delete()
        else:
            stated.column = "ytd_actual"
            stated.save(update_fields=["column"])


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0004_versions"),
    ]

    operations = [
        migrations.RunPython(merge_achieved_into_ytd_actual, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="historicalschemequarter",
            name="achieved_to_date",
        ),
        migrations.RemoveField(
            model_name="schemequarter",
            name="achieved_to_date",
        ),
        migrations.AlterField(
            model_name="historicalschemequarter",
            name="ytd_actual",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Savings delivered in the year to the quarter's end (achieved to date).",
                max_digits=14,
                null=True,
                verbose_name="year-to-date actual (£)",
            ),
        ),
        migrations.AlterField(
            model_name="schemequarter",
            name="ytd_actual",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Savings delivered in the year to the quarter's end (achieved to date).",
                max_digits=14,
                null=True,
                verbose_name="year-to-date actual (£)",
            ),
        ),
    ]

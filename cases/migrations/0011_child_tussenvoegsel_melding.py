"""The tussenvoegsel as its own field, the name search key, and meldingen added to a case.

`Child.search_key` is a stored generated column (cases/names.py): adding it computes the key
of every existing child, so no data migration is needed. A surname stored whole ("de Vries")
keeps working: the key has every word of the name, and the display joins the parts.

On PostgreSQL the search (`search_key LIKE '% vries%'`) is served by a trigram GIN index; the
pg_trgm extension and the index are created here, on PostgreSQL only, as migration 0006 did
for its prefix indexes (SQLite is the small local demo and reads the table).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import cases.names

TRIGRAM_INDEX = "child_search_key_trgm_idx"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # What django.contrib.postgres.operations.TrigramExtension runs, without its
    # PostgreSQL-only checks on other databases. pg_trgm is a trusted extension (PostgreSQL
    # 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON cases_child "
        "USING gin (search_key gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_case_deadline_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="child",
            name="tussenvoegsel",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Bijvoorbeeld “de” of “van der”.",
                max_length=20,
                verbose_name="tussenvoegsel",
            ),
        ),
        migrations.AddField(
            model_name="child",
            name="search_key",
            field=models.GeneratedField(
                db_persist=True,
                expression=cases.names.NameSearchKey("first_name", "tussenvoegsel", "last_name"),
                output_field=models.CharField(max_length=300),
                verbose_name="zoeksleutel naam",
            ),
        ),
        migrations.CreateModel(
            name="Melding",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date_received", models.DateField(verbose_name="datum melding ontvangen")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("duo", "DUO-verzuimregister"),
                            ("school", "School, rechtstreeks"),
                            ("ketenpartner", "Ketenpartner"),
                            ("overig", "Overig"),
                        ],
                        default="duo",
                        max_length=20,
                        verbose_name="bron",
                    ),
                ),
                (
                    "melding_type",
                    models.CharField(
                        choices=[
                            ("16_uur", "16 uur in 4 weken"),
                            ("lrv", "Langdurig relatief verzuim (LRV)"),
                            ("luxe", "Luxe verzuim"),
                            ("overig", "Overig verzuim"),
                            ("absoluut", "Absoluut verzuim"),
                        ],
                        max_length=10,
                        verbose_name="soort melding",
                    ),
                ),
                (
                    "hours_absent",
                    models.PositiveSmallIntegerField(default=0, verbose_name="uren verzuim"),
                ),
                (
                    "times_late",
                    models.PositiveSmallIntegerField(default=0, verbose_name="keer te laat"),
                ),
                ("period_start", models.DateField(verbose_name="verzuim vanaf")),
                ("period_end", models.DateField(verbose_name="verzuim tot en met")),
                ("note", models.TextField(blank=True, verbose_name="toelichting")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="vastgelegd op"
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="meldingen",
                        to="cases.case",
                        verbose_name="zaak",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="vastgelegd door",
                    ),
                ),
            ],
            options={
                "verbose_name": "aanvullende melding",
                "verbose_name_plural": "aanvullende meldingen",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["case", "-created_at"], name="melding_case_idx")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("period_end__gte", models.F("period_start"))),
                        name="melding_period_order",
                        violation_error_message="Het einde van de verzuimperiode ligt vóór het begin.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("period_end__lte", models.F("date_received"))),
                        name="melding_period_before_received",
                        violation_error_message="De verzuimperiode eindigt uiterlijk op de datum van de melding.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("hours_absent__lte", 2000), ("times_late__lte", 1000)),
                        name="melding_absence_sane",
                    ),
                ],
            },
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]

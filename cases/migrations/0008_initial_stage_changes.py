"""Write the initial stage-change row (from nothing to the registration stage, open) for every
case registered without one (by `referral_register` or the CSV import before they wrote it).

The evaluation's furthest stage needs the stage a case was registered in. It is the from-stage
of the case's first recorded change, or, for a case that never changed, its current stage. The
row is dated at the case's creation and signed by the first person who acted on the case (its
first stage change or outcome), else by the first superuser, else by the first user. Works in
chunks, so it runs in bounded memory on a large database.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef

CHUNK = 2000
REGISTERED_REASON = "Verzuimmelding geregistreerd."


def _fallback_actor_id(User):
    user = User.objects.filter(is_superuser=True).order_by("pk").first()
    user = user or User.objects.order_by("pk").first()
    return user.pk if user else None


def write_initial_stage_changes(apps, schema_editor):
    from django.conf import settings

    Case = apps.get_model("cases", "Case")
    StageChange = apps.get_model("cases", "StageChange")
    Outcome = apps.get_model("cases", "Outcome")
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    fallback = _fallback_actor_id(apps.get_model(app_label, model_name))

    initial = StageChange.objects.filter(case=OuterRef("pk"), from_status="")
    missing = (
        Case.objects.filter(~Exists(initial))
        .order_by("pk")
        .values_list("pk", "stage", "created_at")
    )
    last_pk = 0
    while True:
        chunk = list(missing.filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            return
        last_pk = chunk[-1][0]
        ids = [row[0] for row in chunk]
        first_change = {}
        for case_id, from_stage, to_stage, actor_id, changed_at in (
            StageChange.objects.filter(case_id__in=ids)
            .order_by("changed_at", "pk")
            .values_list("case_id", "from_stage", "to_stage", "actor_id", "changed_at")
        ):
            first_change.setdefault(case_id, (from_stage or to_stage, actor_id, changed_at))
        first_recorder = {}
        for case_id, actor_id in (
            Outcome.objects.filter(case_id__in=ids)
            .order_by("recorded_at", "pk")
            .values_list("case_id", "recorded_by_id")
        ):
            first_recorder.setdefault(case_id, actor_id)
        rows = []
        for case_id, stage, created_at in chunk:
            change = first_change.get(case_id)
            actor_id = (change[1] if change else None) or first_recorder.get(case_id) or fallback
            if actor_id is None:
                continue  # no user at all: nothing can sign the row
            changed_at = created_at
            if change and change[2] < changed_at:
                changed_at = change[2]  # the registration comes before the first change
            rows.append(
                StageChange(
                    case_id=case_id,
                    from_stage="",
                    to_stage=change[0] if change else stage,
                    from_status="",
                    to_status="open",
                    reason=REGISTERED_REASON,
                    actor_id=actor_id,
                    changed_at=changed_at,
                )
            )
        StageChange.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_import_tasks_progress"),
    ]

    operations = [
        migrations.RunPython(write_initial_stage_changes, migrations.RunPython.noop),
    ]

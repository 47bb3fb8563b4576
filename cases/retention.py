"""Retention: when a case file's data may go, and the run that anonymises it.

The rules (defaults from the issue; settings RETENTION_*):

- **Leerplicht** (and **Halt**): a closed case is kept until the child has turned
  `RETENTION_LEERPLICHT_AGE` (19) *and* `RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE` (5) years
  have passed since closure, whichever comes later. The issue says "until the child turns 19,
  or 5 years after closure"; we read the two as both having to pass, so that a file closed
  just before the child's 19th birthday is still there for an objection, complaint or a new
  referral (the Halt step refuses a child that was referred to Halt before, and only the
  file can tell), and a young child's file does not outlive the compulsory-education years
  by less than 5 years. The earlier of the two would remove the file of a 6-year-old at 11,
  while the leerplicht still runs. The source for both periods is the municipality's
  retention schedule for the leerplicht administration; the privacy officer (FG) should
  confirm the configured values.
  A Halt step is part of the same chain case here: Halt keeps its own file under its own
  rules, so a case that went through Halt follows the Leerplicht rule.
- **RvdK**: a closed case that ever reached the RvdK stage is kept until the child has turned
  `RETENTION_RVDK_AGE` (24).
- Open cases are always kept.
- The unit is the **child**: the child and all their cases are anonymised together, once every
  one of their cases is closed and past its retention. A later case can refer to an earlier
  one (Halt's "referred before" check), so one retained case keeps the child's other files.
- A **household** is anonymised once none of its children remains un-anonymised.

What anonymising does (nothing is deleted that the evaluation needs; the Case row stays,
because Measurement (its primary key is the case), Allocation (append-only, PROTECT) and the
survey invitations refer to it):

- child: first and last name blanked, BSN and onderwijsnummer removed, the date of birth
  reduced to 1 January of its year (age stays usable for research); the school stays;
- guardians: deleted with their household (below), not with the child: they are shared
  by the household, and a sibling whose case is still kept keeps them;
- documents (uploads and generated letters): deleted, and their files with them once the
  chunk's transaction has committed;
- cases: kept with their structured fields (dates, stage, melding type, outcome) and marked
  `anonymised_at`, which hides them from every case list and page (CaseQuerySet.visible_to);
- free texts: contact summaries, stage-change reasons, assignment notes and survey comments
  blanked (contacts themselves stay: role, kind, date and duration are the research data);
- household: address blanked; its guardians deleted; its plan (goals, actions, plan changes)
  deleted;
- change history (auditlog): every entry of the anonymised or deleted objects is deleted,
  because entries hold before/after values;
- evaluation: Measurement, Allocation, SurveyInvitation/SurveyResponse scores are kept; the
  free-text survey comments are blanked by evaluation's reaction to `cases_anonymising`.

Also: import previews (ImportBatch in preview) older than IMPORT_PREVIEW_RETENTION_HOURS keep
CSV cells (names, BSN) in ImportRow.payload; they are cancelled and their cells deleted, as
`import_cancel` would.

The run works in chunks of primary keys (bounded memory), one transaction per chunk, with the
chunk's rows locked and the rules checked again inside the transaction: first the children
(with their cases), then the households left without children. A dry run counts with the
same rules and writes nothing (not even a RetentionRun row); as no child is anonymised, it
counts the households in one pass that treats the due children as gone. A second run finds
nothing left to do.
"""

import datetime
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import TruncYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import IMPORT_OPEN_STATUSES, CaseStatus, Stage
from .events import cases_anonymising
from .models import (
    Assignment,
    Case,
    Child,
    Contact,
    ContactCorrection,
    Document,
    Guardian,
    Household,
    HouseholdPlan,
    ImportBatch,
    ImportFile,
    ImportRow,
    ImportRowStatus,
    ImportStatus,
    Outcome,
    PlanAction,
    PlanChange,
    PlanGoal,
    RetentionRun,
    StageChange,
)
from .services.documents import document_files_delete

if TYPE_CHECKING:
    # Type-checking only: django-stubs-ext is a development dependency.
    from django_stubs_ext import StrOrPromise

DEFAULT_CHUNK_SIZE = 500

# What a run counts, in report order.
COUNT_LABELS: "dict[str, StrOrPromise]" = {
    "children": _("kinderen geanonimiseerd"),
    "cases": _("zaken geanonimiseerd"),
    "guardians": _("ouders/verzorgers verwijderd"),
    "documents": _("documenten verwijderd, bestanden inbegrepen"),
    "contacts": _("contacten zonder samenvatting"),
    "contact_corrections": _("correcties van contacten verwijderd"),
    "stage_changes": _("ketenstapwijzigingen zonder reden"),
    "assignments": _("toewijzingen zonder toelichting"),
    "survey_comments": _("enquêteopmerkingen gewist"),
    "households": _("huishoudens geanonimiseerd"),
    "plans": _("gezinsplannen verwijderd"),
    "plan_goals": _("plandoelen verwijderd"),
    "plan_actions": _("planacties verwijderd"),
    "plan_changes": _("planwijzigingen verwijderd"),
    "history_entries": _("wijzigingshistorie-regels verwijderd"),
    "import_batches": _("verlopen importvoorvertoningen geannuleerd"),
    "import_rows": _("importregels zonder celinhoud"),
}


# ---------------------------------------------------------------------------------------------
# The rules, as pure functions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionPolicy:
    leerplicht_age: int
    leerplicht_years_after_closure: int
    rvdk_age: int
    import_preview_hours: int

    @classmethod
    def from_settings(cls) -> "RetentionPolicy":
        return cls(
            leerplicht_age=settings.RETENTION_LEERPLICHT_AGE,
            leerplicht_years_after_closure=settings.RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE,
            rvdk_age=settings.RETENTION_RVDK_AGE,
            import_preview_hours=settings.IMPORT_PREVIEW_RETENTION_HOURS,
        )


def anniversary(day: datetime.date, years: int) -> datetime.date:
    """`day` plus `years` years; 29 February falls on 1 March in a common year.

    The same convention as cases.models.age_on: a child born on 29 February turns a year
    older on 1 March.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def cutoff(today: datetime.date, years: int) -> datetime.date:
    """The latest day `d` with anniversary(d, years) <= today: the bound the queries use."""
    return today - relativedelta(years=years)


def case_retention_ends(
    *,
    date_of_birth: datetime.date,
    closed_on: datetime.date | None,
    reached_rvdk: bool,
    policy: RetentionPolicy,
) -> datetime.date | None:
    """The first day the case's data may be removed; None while the case is open."""
    if closed_on is None:
        return None
    if reached_rvdk:
        return anniversary(date_of_birth, policy.rvdk_age)
    return max(
        anniversary(date_of_birth, policy.leerplicht_age),
        anniversary(closed_on, policy.leerplicht_years_after_closure),
    )


def child_retention_ends(case_ends: list[datetime.date | None]) -> datetime.date | None:
    """A child's data may go when all their cases may: the latest end; None if any is open."""
    ends = [end for end in case_ends if end is not None]
    if not ends or len(ends) != len(case_ends):
        return None
    return max(ends)


# ---------------------------------------------------------------------------------------------
# The same rules as queries
# ---------------------------------------------------------------------------------------------


def _reached_rvdk() -> Q:
    return Q(stage=Stage.RVDK) | Q(
        Exists(StageChange.objects.filter(case=OuterRef("pk"), to_stage=Stage.RVDK))
    )


def retained_cases(*, policy: RetentionPolicy, today: datetime.date) -> models.QuerySet:
    """Cases still within retention (case_retention_ends is None or after today)."""
    reached_rvdk = _reached_rvdk()
    return Case.objects.filter(
        Q(status=CaseStatus.OPEN)
        | Q(closed_on__isnull=True)
        | (reached_rvdk & Q(child__date_of_birth__gt=cutoff(today, policy.rvdk_age)))
        | (
            ~reached_rvdk
            & (
                Q(child__date_of_birth__gt=cutoff(today, policy.leerplicht_age))
                | Q(closed_on__gt=cutoff(today, policy.leerplicht_years_after_closure))
            )
        )
    )


def children_due(*, policy: RetentionPolicy, today: datetime.date) -> models.QuerySet:
    """Children not yet anonymised who have cases, all of them past retention."""
    youngest_rule = min(policy.leerplicht_age, policy.rvdk_age)
    return Child.objects.filter(
        # Every rule needs at least this age: a cheap filter before the per-child subqueries.
        Q(date_of_birth__lte=cutoff(today, youngest_rule)),
        Q(anonymised_at__isnull=True),
        Exists(Case.objects.filter(child=OuterRef("pk"))),
        ~Exists(retained_cases(policy=policy, today=today).filter(child=OuterRef("pk"))),
    )


def households_emptied() -> models.QuerySet:
    """Households not yet anonymised with children, none of whom remains un-anonymised."""
    return Household.objects.filter(
        Q(anonymised_at__isnull=True),
        Exists(Child.objects.filter(household=OuterRef("pk"))),
        ~Exists(Child.objects.filter(household=OuterRef("pk"), anonymised_at__isnull=True)),
    )


def households_due(*, policy: RetentionPolicy, today: datetime.date) -> models.QuerySet:
    """The households a run would anonymise: emptied ones, counting due children as gone.

    What households_emptied() returns once the due children are anonymised; the dry run
    needs it before. It evaluates children_due() as a whole, so it is used once, not per chunk.
    """
    due = children_due(policy=policy, today=today).values("pk")
    remaining = Child.objects.filter(household=OuterRef("pk"), anonymised_at__isnull=True).exclude(
        pk__in=due
    )
    return Household.objects.filter(
        Q(anonymised_at__isnull=True),
        Exists(Child.objects.filter(household=OuterRef("pk"))),
        ~Exists(remaining),
    )


def stale_import_batches(*, policy: RetentionPolicy, now: datetime.datetime) -> models.QuerySet:
    # Also a batch whose check or confirmation never finished (no worker): it keeps the file
    # (ImportFile) or the cells as well.
    return ImportBatch.objects.filter(
        status__in=IMPORT_OPEN_STATUSES,
        uploaded_at__lt=now - datetime.timedelta(hours=policy.import_preview_hours),
    )


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class RetentionReport:
    dry_run: bool
    policy: dict
    counts: Counter
    run: RetentionRun | None = None

    def lines(self) -> list[tuple[str, int]]:
        return [(str(label), self.counts.get(key, 0)) for key, label in COUNT_LABELS.items()]


def _history(
    model: type[models.Model], pks: Collection[int] | models.QuerySet[Any, Any]
) -> models.QuerySet:
    """History entries of `model` objects; `pks` a list or a values("pk") queryset."""
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=pks
    )


def _chunks(queryset: models.QuerySet, size: int) -> Iterator[list[int]]:
    """The queryset's primary keys in ascending chunks (keyset pagination: bounded memory)."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _apply(queryset: models.QuerySet, apply: bool, **changes: Any) -> int:
    """Update the rows (apply) or count them (dry run): the same number either way."""
    return queryset.update(**changes) if apply else queryset.count()


def _delete(queryset: models.QuerySet, apply: bool) -> int:
    if not apply:
        return queryset.count()
    _, per_model = queryset.delete()
    return per_model.get(queryset.model._meta.label, 0)


def _delete_documents(documents: models.QuerySet[Document], apply: bool) -> int:
    """Delete the documents' rows and, once that is committed, their files: a rolled-back
    chunk keeps both, and a file is never removed while its row still exists."""
    if not apply:
        return documents.count()
    storage_names = list(documents.values_list("storage_name", flat=True))
    deleted = _delete(documents, apply)
    transaction.on_commit(lambda: document_files_delete(storage_names))
    return deleted


def _anonymise_children(child_ids: list[int], *, apply: bool, now: datetime.datetime) -> Counter:
    counts: Counter = Counter()
    cases = Case.objects.filter(child_id__in=child_ids)
    case_ids = list(cases.values_list("pk", flat=True))
    contacts = Contact.objects.filter(case_id__in=case_ids)
    assignments = Assignment.objects.filter(case_id__in=case_ids)
    documents = Document.objects.filter(case_id__in=case_ids)
    # The history first: it holds the values about to be blanked or deleted.
    counts["history_entries"] += sum(
        _delete(entries, apply)
        for entries in (
            _history(Child, child_ids),
            _history(Case, case_ids),
            _history(Contact, contacts.values("pk")),
            _history(Assignment, assignments.values("pk")),
            _history(Outcome, Outcome.objects.filter(case_id__in=case_ids).values("pk")),
            _history(Document, documents.values("pk")),
        )
    )
    counts["documents"] += _delete_documents(documents, apply)
    counts["contacts"] += _apply(contacts, apply, summary="")
    # Corrections hold the contacts' earlier values (summaries), withdrawals a free-text reason.
    counts["contact_corrections"] += _delete(
        ContactCorrection.objects.filter(contact__case_id__in=case_ids), apply
    )
    _apply(contacts.exclude(withdrawal_reason=""), apply, withdrawal_reason="")
    counts["stage_changes"] += _apply(
        StageChange.objects.filter(case_id__in=case_ids), apply, reason=""
    )
    counts["assignments"] += _apply(assignments, apply, note="")
    # Later apps' rows about these cases (evaluation: survey comments), in this transaction.
    for _receiver, reaction_counts in cases_anonymising.send(
        sender=Case, case_ids=case_ids, apply=apply
    ):
        counts.update(reaction_counts)
    counts["cases"] += _apply(Case.objects.filter(pk__in=case_ids), apply, anonymised_at=now)
    counts["children"] += _apply(
        Child.objects.filter(pk__in=child_ids),
        apply,
        first_name="",
        last_name="",
        bsn=None,
        onderwijsnummer=None,
        date_of_birth=TruncYear("date_of_birth"),
        anonymised_at=now,
    )
    return counts


def _anonymise_households(
    household_ids: list[int] | models.QuerySet[Any, Any], *, apply: bool, now: datetime.datetime
) -> Counter:
    """`household_ids`: a list, or (dry run) a values("pk") queryset counted in one pass."""
    counts: Counter = Counter()
    plans = HouseholdPlan.objects.filter(household_id__in=household_ids)
    goals = PlanGoal.objects.filter(plan__in=plans)
    actions = PlanAction.objects.filter(plan__in=plans)
    # Guardians belong to the household: they go when its last child has been anonymised.
    guardians = Guardian.objects.filter(household_id__in=household_ids)
    # The history first: it names the guardians about to be deleted.
    counts["history_entries"] += sum(
        _delete(entries, apply)
        for entries in (
            _history(Household, household_ids),
            _history(Guardian, guardians.values("pk")),
            _history(HouseholdPlan, plans.values("pk")),
            _history(PlanGoal, goals.values("pk")),
            _history(PlanAction, actions.values("pk")),
        )
    )
    counts["guardians"] += _delete(guardians, apply)
    counts["plan_goals"] += goals.count()
    counts["plan_actions"] += actions.count()
    counts["plan_changes"] += PlanChange.objects.filter(plan__in=plans).count()
    # Deleting a plan cascades to its goals, actions and changes, counted above.
    counts["plans"] += _delete(plans, apply)
    counts["households"] += _apply(
        Household.objects.filter(pk__in=household_ids),
        apply,
        street="",
        postcode="",
        city="",
        anonymised_at=now,
    )
    return counts


def _purge_import_batches(batch_ids: list[int], *, apply: bool, now: datetime.datetime) -> Counter:
    counts: Counter = Counter()
    counts["import_rows"] += _apply(
        ImportRow.objects.filter(batch_id__in=batch_ids, payload__isnull=False),
        apply,
        payload=None,
    )
    if apply:
        ImportFile.objects.filter(batch_id__in=batch_ids).delete()
        ImportRow.objects.filter(batch_id__in=batch_ids).update(status=ImportRowStatus.SKIPPED)
        for batch in ImportBatch.objects.filter(pk__in=batch_ids):
            batch.status = ImportStatus.CANCELLED
            batch.skipped_count = batch.row_count
            batch.finished_at = now
            batch.save(update_fields=["status", "skipped_count", "finished_at"])
    counts["import_batches"] += len(batch_ids)
    return counts


def apply_retention(
    *,
    dry_run: bool = False,
    actor: str = "system",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    policy: RetentionPolicy | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> RetentionReport:
    """Anonymise everything past retention (see the module docstring); or, with `dry_run`,
    count what would be done and change nothing.

    A real run is recorded as a RetentionRun with the policy, cut-off dates and counts. Each
    chunk is its own transaction: an interrupted run keeps the chunks it finished, and the
    next run carries on.
    """
    policy = policy or RetentionPolicy.from_settings()
    now = timezone.now()
    today = timezone.localdate(now)
    apply = not dry_run
    policy_record = asdict(policy) | {
        "today": today.isoformat(),
        "leerplicht_born_on_or_before": cutoff(today, policy.leerplicht_age).isoformat(),
        "leerplicht_closed_on_or_before": cutoff(
            today, policy.leerplicht_years_after_closure
        ).isoformat(),
        "rvdk_born_on_or_before": cutoff(today, policy.rvdk_age).isoformat(),
    }
    run = None
    if apply:
        run = RetentionRun.objects.create(started_at=now, actor=actor[:150], policy=policy_record)
    counts: Counter = Counter()

    def chunked(
        queryset: models.QuerySet[Any, Any],
        work: Callable[..., Counter],
        locked_model: type[models.Model],
        lock_field: str,
    ) -> None:
        for ids in _chunks(queryset, chunk_size):
            with transaction.atomic(), disable_auditlog():
                if apply:
                    # Lock the rows a service could change meanwhile (a coordinator reopening a
                    # case), then keep only what is still due.
                    list(
                        locked_model._default_manager.select_for_update()
                        .filter(**{f"{lock_field}__in": ids})
                        .values_list("pk", flat=True)
                    )
                    ids = list(queryset.filter(pk__in=ids).values_list("pk", flat=True))
                if ids:
                    counts.update(work(ids, apply=apply, now=now))
                if run is not None:
                    # Recorded with the chunk: an interrupted run still says what it did.
                    run.counts = {key: counts.get(key, 0) for key in COUNT_LABELS}
                    run.save(update_fields=["counts"])
            progress(f"{counts['children']} kinderen, {counts['households']} huishoudens ...")

    chunked(children_due(policy=policy, today=today), _anonymise_children, Case, "child_id")
    if apply:
        # The due children are anonymised now, so the cheap query finds their households.
        chunked(households_emptied(), _anonymise_households, Household, "pk")
    else:
        # Nothing is written, so nothing to chunk: counted with subqueries, in the database.
        due = households_due(policy=policy, today=today).values("pk")
        counts.update(_anonymise_households(due, apply=False, now=now))
    chunked(stale_import_batches(policy=policy, now=now), _purge_import_batches, ImportBatch, "pk")

    if run is not None:
        run.counts = {key: counts.get(key, 0) for key in COUNT_LABELS}
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "finished_at"])
    return RetentionReport(dry_run=dry_run, policy=policy_record, counts=counts, run=run)

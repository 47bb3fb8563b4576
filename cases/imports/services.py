"""The import's writes: upload and check, confirm, cancel, and the bodies of their tasks.

The work runs as background tasks (cases.tasks, on the `manage.py db_worker` worker), so no web
request reads or imports thousands of rows:

- `import_upload` (the upload request) reads the file once as a stream, only to refuse a file
  that cannot be read as a whole (reader.py); it stores the file (ImportFile) with a batch
  that is `checking`, and queues the check on commit.
- `import_check_run` (the check task) streams the rows, checks them in chunks of CHUNK
  (checks.py), and stores one ImportRow per line: what confirming will create, or why the line
  cannot be imported. The cells of the valid rows are kept, so that confirming does not need
  the file, which is deleted. The batch is then a `preview`.
- `import_confirm_request` (the confirm request) marks the batch `confirming` and queues
  `import_confirm_run` (the confirm task). That checks the valid rows again inside one
  transaction, chunk by chunk, with the matched children locked (a child may have got an open
  case since the preview), creates the households, children and cases in bulk and allocates
  every case to a study arm. Rows with errors are skipped and listed in the report. All valid
  rows are imported, or none: a confirmation that fails puts the batch back in preview with
  the reason, and it can be confirmed again.
- `import_cancel` imports nothing.
- `import_preview_create` and `import_confirm` do the same work at once, in this process, for
  tests, benchmarks and scripts.

Both tasks write their progress (percent, and when) on the batch; its page polls it. A batch
whose task has not reported for STALLED_AFTER most likely has no worker: the page says so,
and the batch can be cancelled (while checking) or confirmed again (nothing was imported).

Confirming and cancelling delete the rows' cells and keep the report: line numbers, case
numbers, error reasons. An existing child is not changed.
"""

import datetime
import logging
import os
from collections import Counter
from collections.abc import Sequence
from functools import partial
from itertools import batched

from auditlog.context import auditlog_value
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..constants import CaseSource, ImportRowStatus, ImportStatus
from ..events import referrals_imported
from ..exceptions import RuleViolation
from ..history import _request_context as request_context
from ..history import log_bulk_create
from ..models import (
    Case,
    Child,
    Household,
    ImportBatch,
    ImportFile,
    ImportRow,
    three_month_deadline,
)
from ..services.numbers import case_numbers_reserve
from ..services.referrals import initial_stage_changes_bulk
from .checks import CHUNK, CheckState, RowCheck, check_rows
from .reader import ImportFileInvalid, SourceRow, count_data_lines, iter_rows, no_rows_message

logger = logging.getLogger(__name__)

# An unfinished batch whose task has not reported for this long most likely has no worker
# (`manage.py db_worker` not running, or killed). A chunk takes about a second.
STALLED_AFTER = datetime.timedelta(minutes=5)


class ImportClosed(RuleViolation):
    """The batch is not open for this step: it is busy, or confirmed or cancelled already."""


def is_stalled(batch: ImportBatch, now: datetime.datetime | None = None) -> bool:
    """True when a busy batch's task has not reported for STALLED_AFTER: queued and never
    picked up, or its worker stopped."""
    if not batch.is_busy:
        return False
    last_sign = batch.progress_at or batch.uploaded_at
    return (now or timezone.now()) - last_sign >= STALLED_AFTER


def _store_upload(*, content: bytes, file_name: str, actor: User) -> ImportBatch:
    """Refuse a file that cannot be read as a whole, else store it as a batch being checked.

    Must run inside transaction.atomic(). Reads the file once as a stream (count_data_lines).
    """
    row_count = count_data_lines(content)
    now = timezone.now()
    batch = ImportBatch.objects.create(
        file_name=os.path.basename(file_name)[:255],
        uploaded_by=actor,
        status=ImportStatus.CHECKING,
        row_count=row_count,
        progress_at=now,
    )
    ImportFile.objects.create(batch=batch, content=content)
    return batch


def import_upload(
    *, content: bytes, file_name: str, actor: User, language: str | None = None
) -> ImportBatch:
    """Store an uploaded CSV file as a batch being checked; queue the check task on commit.

    Raises ImportFileInvalid, and stores nothing, when the file as a whole cannot be read or
    has more than MAX_DATA_LINES data lines. Row errors are found by the check task. The
    check's messages are in `language` (default: the active language).
    """
    from ..tasks import check_import_batch

    language = language or translation.get_language()
    with transaction.atomic():
        batch = _store_upload(content=content, file_name=file_name, actor=actor)
        transaction.on_commit(partial(check_import_batch.enqueue, batch.pk, language))
    logger.info("Import %s: %s lines uploaded, check queued", batch.pk, batch.row_count)
    return batch


def import_preview_create(*, content: bytes, file_name: str, actor: User) -> ImportBatch:
    """Upload and check at once, in this process: what import_upload and the check task do.

    For tests, benchmarks and scripts. Raises ImportFileInvalid as import_upload does.
    """
    with transaction.atomic():
        batch = _store_upload(content=content, file_name=file_name, actor=actor)
    checked = import_check_run(batch_id=batch.pk)
    assert checked is not None
    return checked


def import_check_run(*, batch_id: int, language: str | None = None) -> ImportBatch | None:
    """Check a batch's file row by row and store its preview. The body of the check task.

    Only a batch that is `checking` is checked, so a task delivered again after the check does
    nothing; a check that starts again first removes the rows of an earlier attempt. Streams
    the file and stores the rows a chunk at a time, writing the progress after each chunk.
    Ends in `preview` (the file is deleted), or in `failed` with a message (the file and rows
    are deleted). Returns the batch, or None when it does not exist.
    """
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status != ImportStatus.CHECKING:
        return batch
    upload = ImportFile.objects.filter(batch_id=batch_id).first()
    try:
        with translation.override(language or translation.get_language()):
            if upload is None:
                raise ImportFileInvalid(_("Het bestand van deze import is er niet meer."))
            totals = _check_and_store(batch, bytes(upload.content))  # memoryview on PostgreSQL
    except Exception as error:
        if isinstance(error, ImportFileInvalid):
            message = str(error)
        else:
            logger.exception("Import %s: the check failed", batch_id)
            message = _(
                "De controle is mislukt door een fout op de server. Upload het bestand "
                "opnieuw; blijft het misgaan, meld dan importnummer %(number)s aan de beheerder."
            ) % {"number": batch_id}
        with transaction.atomic():
            ImportRow.objects.filter(batch_id=batch_id).delete()
            ImportFile.objects.filter(batch_id=batch_id).delete()
            ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CHECKING).update(
                status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
            )
        return ImportBatch.objects.get(pk=batch_id)
    row_count, valid_count = totals
    with transaction.atomic():
        done = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CHECKING).update(
            status=ImportStatus.PREVIEW,
            row_count=row_count,
            valid_count=valid_count,
            error_count=row_count - valid_count,
            progress=100,
            progress_at=timezone.now(),
            error="",
        )
        ImportFile.objects.filter(batch_id=batch_id).delete()
        if not done:  # cancelled while it was being checked: keep no cells
            ImportRow.objects.filter(batch_id=batch_id).update(
                status=ImportRowStatus.SKIPPED, payload=None
            )
    logger.info(
        "Import %s: preview of %s rows, %s with errors",
        batch_id,
        row_count,
        row_count - valid_count,
    )
    return ImportBatch.objects.get(pk=batch_id)


def _check_and_store(batch: ImportBatch, content: bytes) -> tuple[int, int]:
    """Check the file's rows a chunk at a time and store them; returns (rows, valid rows)."""
    ImportRow.objects.filter(batch_id=batch.pk).delete()  # of an attempt that was cut off
    progress = _Progress(batch.pk, total=batch.row_count)
    state = CheckState()
    row_count = valid_count = 0
    for chunk in batched(iter_rows(content), CHUNK):
        checks = check_rows(chunk, state=state)
        ImportRow.objects.bulk_create(_preview_row(batch, check) for check in checks)
        row_count += len(checks)
        valid_count += sum(check.is_valid for check in checks)
        progress(row_count)
    if not row_count:
        raise ImportFileInvalid(no_rows_message())
    return row_count, valid_count


def _preview_row(batch: ImportBatch, check: RowCheck) -> ImportRow:
    return ImportRow(
        batch=batch,
        line_number=check.line_number,
        status=ImportRowStatus.VALID if check.is_valid else ImportRowStatus.ERROR,
        payload=check.cells if check.is_valid else None,
        errors=check.errors,
        child_is_new=check.child_id is None if check.is_valid else None,
        household_is_new=check.household_id is None if check.is_valid else None,
        same_household_as_line=check.same_household_as_line,
    )


class _Progress:
    """Writes a task's percentage (0-99; 100 is written with the result) and the time.

    Only when the percentage changes. Outside a transaction the update is seen at once. Inside
    the confirmation's transaction it goes through a second connection of its own (PostgreSQL
    only: SQLite has one writer at a time, the transaction itself), and skips the update when
    the batch row is locked rather than wait for it.
    """

    def __init__(self, batch_id: int, *, total: int, in_transaction: bool = False) -> None:
        self.batch_id, self.total, self.in_transaction = batch_id, max(total, 1), in_transaction
        self.shown = 0
        self._side_connection: BaseDatabaseWrapper | None = None

    def __call__(self, done: int) -> None:
        percent = min(99, done * 100 // self.total)
        if percent == self.shown:
            return
        self.shown = percent
        now = timezone.now()
        if not self.in_transaction:
            ImportBatch.objects.filter(pk=self.batch_id).update(progress=percent, progress_at=now)
        elif connection.vendor == "postgresql":
            self._write_aside(percent, now)

    def _write_aside(self, percent: int, now: datetime.datetime) -> None:
        try:
            if self._side_connection is None:
                self._side_connection = connections.create_connection(DEFAULT_DB_ALIAS)
            side = self._side_connection
            table = side.ops.quote_name(ImportBatch._meta.db_table)  # no user input
            sql = (
                f"UPDATE {table} SET progress = %s, progress_at = %s WHERE id = "  # noqa: S608
                f"(SELECT id FROM {table} WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED)"
            )
            with side.cursor() as cursor:
                cursor.execute(
                    sql, [percent, side.ops.adapt_datetimefield_value(now), self.batch_id]
                )
        except DatabaseError:
            logger.warning("Import %s: could not write the progress", self.batch_id)

    def close(self) -> None:
        if self._side_connection is not None:
            self._side_connection.close()
            self._side_connection = None


def _closed_message(status: str) -> str:
    if status == ImportStatus.IMPORTED:
        return _("Deze import is al uitgevoerd. Er is niets opnieuw geïmporteerd of gewijzigd.")
    if status == ImportStatus.CANCELLED:
        return _(
            "Deze import is geannuleerd; er is niets geïmporteerd. Upload het bestand "
            "opnieuw om het toch te importeren."
        )
    if status == ImportStatus.FAILED:
        return _("De controle van dit bestand is mislukt; er is niets geïmporteerd.")
    if status == ImportStatus.CHECKING:
        return _("Het bestand wordt nog gecontroleerd. Bevestig als de voorvertoning klaar is.")
    return _("Deze import wordt al uitgevoerd. Wacht tot hij klaar is.")


def _confirm_claim(batch: ImportBatch) -> None:
    """Move the batch from preview to confirming, once: a conditional update, so of two clicks
    (or two coordinators) one wins and the other gets ImportClosed. A confirmation whose
    worker is silent for STALLED_AFTER may be claimed again: its transaction, if any, was
    rolled back, and the task that imports last finds the batch imported and does nothing."""
    now = timezone.now()
    claimable = Q(status=ImportStatus.PREVIEW) | Q(
        status=ImportStatus.CONFIRMING, progress_at__lte=now - STALLED_AFTER
    )
    claimed = ImportBatch.objects.filter(claimable, pk=batch.pk).update(
        status=ImportStatus.CONFIRMING, progress=0, progress_at=now, error=""
    )
    if not claimed:
        status = ImportBatch.objects.filter(pk=batch.pk).values_list("status", flat=True).first()
        raise ImportClosed(_closed_message(status or ImportStatus.CANCELLED))


def import_confirm_request(
    *,
    batch: ImportBatch,
    actor: User,
    remote_addr: str | None = None,
    language: str | None = None,
) -> ImportBatch:
    """Mark the batch `confirming` and queue the confirm task on commit.

    Raises ImportClosed when the batch is not in preview (checking, already confirming,
    imported or cancelled); then nothing changes. `remote_addr` goes into the change history
    of the created records, as for a change made in the request.
    """
    from ..tasks import confirm_import_batch

    language = language or translation.get_language()
    if remote_addr is None:  # in a request: the address its own changes are recorded with
        remote_addr = request_context().get("remote_addr")
    with transaction.atomic():
        _confirm_claim(batch)
        transaction.on_commit(
            partial(confirm_import_batch.enqueue, batch.pk, actor.pk, remote_addr, language)
        )
    logger.info("Import %s: confirmation queued", batch.pk)
    batch.refresh_from_db()
    return batch


def import_confirm(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Confirm and import at once, in this process: what import_confirm_request and the
    confirm task do. For tests, benchmarks and scripts.

    Raises ImportClosed when the batch is not in preview, and RuleViolation when the import
    failed (then nothing is imported and the batch is back in preview, with the reason).
    """
    _confirm_claim(batch)
    return _confirm(batch_id=batch.pk, actor=actor)


def import_confirm_run(
    *,
    batch_id: int,
    actor_id: int,
    remote_addr: str | None = None,
    language: str | None = None,
) -> ImportBatch | None:
    """The body of the confirm task: import a `confirming` batch; never raises.

    A batch that is not `confirming` (imported meanwhile, or a task delivered twice) is left
    alone. A failure puts the batch back in preview with the reason (see _confirm). The
    created records' history names the actor and `remote_addr`, as in the request.
    """
    actor = get_user_model().objects.filter(pk=actor_id).first()
    if actor is None:
        # The confirming account was deleted after it queued the import: every registration
        # row needs its author, so nothing is imported and the batch goes back to preview.
        _confirm_failed(batch_id, _("Het account dat de import bevestigde bestaat niet meer."))
        return ImportBatch.objects.filter(pk=batch_id).first()
    token = auditlog_value.set({"actor": actor, "remote_addr": remote_addr})
    try:
        with translation.override(language or translation.get_language()):
            return _confirm(batch_id=batch_id, actor=actor)
    except ImportClosed:
        return ImportBatch.objects.filter(pk=batch_id).first()
    except Exception:  # recorded on the batch by _confirm; the traceback is in the log
        return ImportBatch.objects.filter(pk=batch_id).first()
    finally:
        auditlog_value.reset(token)


def _confirm(*, batch_id: int, actor: User) -> ImportBatch:
    """Import the valid rows of a `confirming` batch in one transaction; skip and report the
    others. All valid rows, or none.

    The rows are read, checked again and imported a chunk at a time, in file order, inside the
    one transaction: a row that became a duplicate since the preview is skipped and reported.
    Each case gets its case number and its study arm (block randomisation) in the same
    transaction. The batch becomes `imported` at the end, conditionally: if it was cancelled
    or imported meanwhile, everything is rolled back (ImportClosed). On any failure nothing
    is imported and the batch goes back to preview with the reason: RuleViolation for a
    concurrent registration, the original exception otherwise.
    """
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportStatus.CONFIRMING:
        raise ImportClosed(_closed_message(batch.status))
    progress = _Progress(batch_id, total=batch.valid_count, in_transaction=True)
    try:
        with transaction.atomic():
            imported = _import_valid_rows(batch, actor=actor, progress=progress)
            ImportRow.objects.filter(batch_id=batch_id, status=ImportRowStatus.ERROR).update(
                status=ImportRowStatus.SKIPPED, payload=None
            )
            now = timezone.now()
            finished = ImportBatch.objects.filter(
                pk=batch_id, status=ImportStatus.CONFIRMING
            ).update(
                status=ImportStatus.IMPORTED,
                imported_count=imported,
                skipped_count=batch.row_count - imported,
                finished_by=actor,
                finished_at=now,
                progress=100,
                progress_at=now,
                error="",
            )
            if not finished:
                status = ImportBatch.objects.get(pk=batch_id).status
                raise ImportClosed(_closed_message(status))
    except ImportClosed:
        raise
    except (IntegrityError, OperationalError):
        # A unique BSN or case number taken meanwhile, or a deadlock between two imports.
        logger.warning("Import %s: collided with a concurrent registration", batch_id)
        message = _(
            "Tijdens het importeren is een van deze kinderen of zaken ook op een andere "
            "manier vastgelegd. Er is niets geïmporteerd. Bevestig de import opnieuw: "
            "de regels worden dan opnieuw gecontroleerd."
        )
        _confirm_failed(batch_id, message)
        raise RuleViolation(message) from None
    except Exception:
        logger.exception("Import %s: the confirmation failed", batch_id)
        _confirm_failed(
            batch_id,
            _(
                "Het importeren is mislukt door een fout op de server. Er is niets "
                "geïmporteerd. Bevestig de import opnieuw; blijft het misgaan, meld dan "
                "importnummer %(number)s aan de beheerder."
            )
            % {"number": batch_id},
        )
        raise
    finally:
        progress.close()
    batch.refresh_from_db()
    logger.info(
        "Import %s: %s cases created, %s rows skipped",
        batch_id,
        batch.imported_count,
        batch.skipped_count,
    )
    return batch


def _import_valid_rows(batch: ImportBatch, *, actor: User, progress: "_Progress") -> int:
    """Check and import the valid rows a chunk at a time; returns the number of cases."""
    state = CheckState()
    imported = done = last_line = 0
    while True:
        rows = list(
            ImportRow.objects.filter(
                batch_id=batch.pk, status=ImportRowStatus.VALID, line_number__gt=last_line
            ).order_by("line_number")[:CHUNK]
        )
        if not rows:
            return imported
        last_line = rows[-1].line_number
        checks = check_rows(
            [SourceRow(row.line_number, row.payload or {}) for row in rows],
            lock=True,
            state=state,
        )
        cases = _create_cases(checks, actor=actor, state=state)
        # Rewriting the rows is much faster than bulk_update with hundreds of CASE branches.
        ImportRow.objects.filter(pk__in=[row.pk for row in rows]).delete()
        ImportRow.objects.bulk_create(
            _report_row(batch, row, check, cases.get(check.line_number))
            for row, check in zip(rows, checks, strict=True)
        )
        imported += len(cases)
        done += len(rows)
        progress(done)


def _confirm_failed(batch_id: int, message: str) -> None:
    """Put a failed confirmation back in preview, with the reason: it can be confirmed again."""
    try:
        ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CONFIRMING).update(
            status=ImportStatus.PREVIEW, progress=0, progress_at=timezone.now(), error=message
        )
    except DatabaseError:  # the database is gone: the batch shows as stalled, and can be retried
        logger.exception("Import %s: could not record the failed confirmation", batch_id)


def _report_row(
    batch: ImportBatch, row: ImportRow, check: RowCheck, case: Case | None
) -> ImportRow:
    """What the report keeps of a row: no cells, only the outcome."""
    return ImportRow(
        batch=batch,
        line_number=row.line_number,
        status=ImportRowStatus.IMPORTED if case else ImportRowStatus.SKIPPED,
        payload=None,
        errors=[] if case else check.errors,
        child_is_new=row.child_is_new,
        household_is_new=row.household_is_new,
        same_household_as_line=row.same_household_as_line,
        case=case,
        case_number=case.number if case else "",
    )


def import_cancel(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Cancel a batch: nothing is imported, and the file and the rows' cells are deleted.

    Allowed in preview, and while checking or confirming only when the task is stalled (see
    is_stalled): a confirmation that still finishes then finds the batch cancelled and rolls
    back. Raises ImportClosed otherwise, changing nothing.
    """
    batch = ImportBatch.objects.get(pk=batch.pk)
    # Checked before locking as well: a running confirmation holds a lock on the batch row
    # until it ends, and the request should not wait for that.
    if not (batch.status == ImportStatus.PREVIEW or is_stalled(batch)):
        raise ImportClosed(_closed_message(batch.status))
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update(of=("self",))
            .select_related("uploaded_by", "finished_by")
            .get(pk=batch.pk)
        )
        if not (batch.status == ImportStatus.PREVIEW or is_stalled(batch)):
            raise ImportClosed(_closed_message(batch.status))
        ImportFile.objects.filter(batch_id=batch.pk).delete()
        batch.rows.update(status=ImportRowStatus.SKIPPED, payload=None)
        batch.status = ImportStatus.CANCELLED
        batch.skipped_count = batch.row_count
        batch.finished_by = actor
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "skipped_count", "finished_by", "finished_at"])
    logger.info("Import %s: cancelled", batch.pk)
    return batch


def register_checked_rows(
    checks: Sequence[RowCheck], *, actor: User, source: str = CaseSource.DUO
) -> dict[int, Case]:
    """Register checked referrals that did not come in a file (the API), exactly as the import
    registers a file's valid rows; the caller holds the transaction and the checks' locks."""
    return _create_cases(checks, actor=actor, source=source)


def _create_cases(
    checks: Sequence[RowCheck],
    *,
    actor: User,
    state: CheckState | None = None,
    source: str = CaseSource.DUO,
) -> dict[int, Case]:
    """Households, children, cases and allocations for the valid rows, in bulk, in file order.

    The result equals what household_register, child_register and referral_register (with
    evaluation's allocation reaction) would create row by row: the same normalised values, the case
    numbers of each year in file order, the three-month deadline, and per stratum the next
    positions of the block randomisation. Returns the cases by line number.
    """
    valid = [check for check in checks if check.is_valid]
    households = _create_households(valid, actor=actor, state=state)
    children = _create_children(valid, households, actor=actor)

    per_year = Counter(_present(check.date_received).year for check in valid)
    numbers = {
        year: iter(case_numbers_reserve(year=year, count=count))
        for year, count in sorted(per_year.items())
    }
    cases: dict[int, Case] = {}
    for check in valid:
        date_received = _present(check.date_received)
        cases[check.line_number] = Case(
            number=next(numbers[date_received.year]),
            child_id=check.child_id or children[check.line_number].pk,
            date_received=date_received,
            source=source,
            melding_type=check.melding_type,
            hours_absent=check.hours_absent,
            times_late=check.times_late,
            period_start=_present(check.period_start),
            period_end=_present(check.period_end),
            three_month_deadline=three_month_deadline(date_received),
        )
    Case.objects.bulk_create(cases.values(), batch_size=CHUNK)
    created = list(cases.values())  # saved, in file order, inside the confirm transaction
    # The same registration writes as referral_register's, in bulk: the allocation
    # (evaluation's reaction, in this transaction: it sets each instance's arm), then the
    # creation history and the initial stage change (the evaluation's furthest stage starts
    # from it).
    referrals_imported.send(sender=Case, cases=created, actor=actor)
    log_bulk_create(created, actor=actor)
    initial_stage_changes_bulk(cases=created, actor=actor)
    return cases


def _create_households(
    valid: Sequence[RowCheck], *, actor: User, state: CheckState | None
) -> dict[tuple[str, str], Household]:
    """The new households of the valid rows, one per household key, in bulk with history."""
    households: dict[tuple[str, str], Household] = {}
    for check in valid:
        if check.household_key is not None and check.household_key not in households:
            households[check.household_key] = Household(
                street=check.cells["straat"].strip(),
                postcode=check.postcode,
                city=check.cells["plaats"].strip(),
            )
    Household.objects.bulk_create(households.values(), batch_size=CHUNK)
    if state is not None:  # later chunks of the file join these households
        state.households.update((key, household.pk) for key, household in households.items())
    # bulk_create sends no signals: the change history is written explicitly.
    log_bulk_create(list(households.values()), actor=actor)
    return households


def _create_children(
    valid: Sequence[RowCheck],
    households: dict[tuple[str, str], Household],
    *,
    actor: User,
) -> dict[int, Child]:
    """The new children of the valid rows by line number, in bulk with history."""
    children: dict[int, Child] = {}
    for check in valid:
        if check.child_id is None:
            children[check.line_number] = Child(
                first_name=check.cells["voornamen"].strip(),
                tussenvoegsel=check.cells.get("tussenvoegsel", "").strip(),
                last_name=check.cells["achternaam"].strip(),
                date_of_birth=_present(check.date_of_birth),
                bsn=check.bsn or None,
                onderwijsnummer=check.onderwijsnummer or None,
                school_id=check.school_id,
                household_id=check.household_id or households[_present(check.household_key)].pk,
            )
    Child.objects.bulk_create(children.values(), batch_size=CHUNK)
    log_bulk_create(list(children.values()), actor=actor)
    return children


def _present[T](value: T | None) -> T:
    """A value every valid row has: checking refuses a row without it."""
    assert value is not None
    return value

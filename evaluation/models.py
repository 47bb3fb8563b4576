from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bip.lib.models import AppendOnlyModel
from cases.constants import OutcomeCategory, Stage
from cases.models import Case
from professionals.models import Professional

from .constants import (
    AllocationMethod,
    Arm,
    ExportDataset,
    ExportEventKind,
    ExportFormat,
    ExportStatus,
    RespondentType,
    SurveyItem,
)
from .definitions import MeasurementStatus


class Allocation(AppendOnlyModel):
    """One allocation of a case to a study arm. Never changed: a correction is a new entry.

    The first entry of a case (drawn by block randomisation, or by hand with a reason) is the
    arm the case keeps for the intention-to-treat analysis; at most one per case. Every later
    entry is a correction with a reason that supersedes the one before; the newest entry is
    the arm the case is treated in (`Case.arm`). How a draw was made (stratum, block and
    position) is kept apart in `AllocationDraw`, which only the allocation service reads.
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("zaak")
    )
    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices)
    method = models.CharField(_("methode"), max_length=20, choices=AllocationMethod.choices)
    reason = models.TextField(_("reden"), blank=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("vervangt"),
    )
    # A correction made after the case's measurement date (three_month_deadline): a protocol
    # deviation, counted in the report's flow. Decided when the row is written.
    after_measurement = models.BooleanField(_("na de meetdatum"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("door")
    )
    created_at = models.DateTimeField(_("tijdstip"), default=timezone.now)

    class Meta:
        verbose_name = _("toewijzing aan onderzoeksarm")
        verbose_name_plural = _("toewijzingen aan onderzoeksarm")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method=AllocationMethod.BLOCK_RANDOM) | ~Q(reason=""),
                name="allocation_reason_unless_random",
                violation_error_message=_(
                    "Een handmatige toewijzing of correctie vraagt een reden."
                ),
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(method="correctie"),
                name="allocation_one_initial_per_case",
            ),
            models.CheckConstraint(
                condition=Q(method="correctie", supersedes__isnull=False)
                | (~Q(method="correctie") & Q(supersedes__isnull=True, after_measurement=False)),
                name="allocation_correction_supersedes",
            ),
        ]
        indexes = [models.Index(fields=["case", "-created_at"], name="allocation_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} → {self.get_arm_display()}"


class AllocationDraw(AppendOnlyModel):
    """Where a drawn allocation sits in its stratum's sequence. Read only by the allocation
    service (and a superuser in the admin): with the earlier arms of a stratum, the block and
    position would tell which arm comes next. Never exported or shown to a coordinator."""

    allocation = models.OneToOneField(
        Allocation,
        on_delete=models.PROTECT,
        related_name="draw",
        verbose_name=_("toewijzing"),
    )
    stratum = models.CharField(_("stratum"), max_length=40)
    sequence_position = models.PositiveIntegerField(_("positie in de reeks"))
    block_number = models.PositiveIntegerField(_("bloknummer"))
    # Empty for draws made before the block sizes were random (then always 4).
    block_size = models.PositiveSmallIntegerField(_("blokgrootte"), null=True, blank=True)
    seed = models.CharField(_("seed"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("loting in de randomisatiereeks")
        verbose_name_plural = _("lotingen in de randomisatiereeksen")
        constraints = [
            models.UniqueConstraint(
                fields=["stratum", "sequence_position"], name="allocationdraw_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stratum} #{self.sequence_position}"


class AllocationSequence(models.Model):
    """Per stratum: the next position and the block it falls in; locked while drawing.

    `block_number` -1 means no block yet (or the sequence predates random block sizes): the
    next draw starts a new block at `next_position`.
    """

    stratum = models.CharField(_("stratum"), max_length=40, primary_key=True)
    next_position = models.PositiveIntegerField(_("volgende positie"), default=0)
    block_number = models.IntegerField(_("huidig blok"), default=-1)
    block_start = models.PositiveIntegerField(_("begin van het blok"), default=0)
    block_size = models.PositiveSmallIntegerField(_("blokgrootte"), default=0)

    class Meta:
        verbose_name = _("randomisatiereeks")
        verbose_name_plural = _("randomisatiereeksen")

    def __str__(self) -> str:
        return self.stratum


class SurveyInvitation(models.Model):
    """A one-time survey link. Only a hash of the token is stored."""

    respondent_type = models.CharField(
        _("respondent"), max_length=12, choices=RespondentType.choices
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_invitations",
        verbose_name=_("zaak"),
    )
    professional = models.ForeignKey(
        Professional,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_invitations",
        verbose_name=_("professional"),
    )
    period_start = models.DateField(_("periode vanaf"), null=True, blank=True)
    period_end = models.DateField(_("periode tot en met"), null=True, blank=True)
    token_hash = models.CharField(_("tokenhash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)
    expires_at = models.DateTimeField(_("verloopt op"))
    used_at = models.DateTimeField(_("gebruikt op"), null=True, blank=True)

    class Meta:
        verbose_name = _("enquête-uitnodiging")
        verbose_name_plural = _("enquête-uitnodigingen")
        constraints = [
            models.CheckConstraint(
                condition=Q(respondent_type=RespondentType.STAFF, professional__isnull=False)
                | (~Q(respondent_type=RespondentType.STAFF) & Q(case__isnull=False)),
                name="invitation_subject",
                violation_error_message=_(
                    "Een cliëntenquête hoort bij een zaak, een medewerkersenquête bij een "
                    "professional."
                ),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]
        indexes = [
            models.Index(fields=["respondent_type", "created_at"], name="invitation_type_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_respondent_type_display()} #{self.pk}"


class SurveyResponse(models.Model):
    invitation = models.OneToOneField(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="response",
        verbose_name=_("uitnodiging"),
    )
    respondent_type = models.CharField(
        _("respondent"), max_length=12, choices=RespondentType.choices
    )
    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices)
    grade = models.PositiveSmallIntegerField(_("rapportcijfer"), null=True, blank=True)
    comment = models.TextField(_("opmerking"), blank=True)
    submitted_at = models.DateTimeField(_("ingevuld op"), default=timezone.now)

    class Meta:
        verbose_name = _("enquêteantwoord")
        verbose_name_plural = _("enquêteantwoorden")
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__isnull=True) | Q(grade__gte=1, grade__lte=10),
                name="response_grade_range",
                violation_error_message=_("Het rapportcijfer ligt tussen 1 en 10."),
            ),
        ]
        indexes = [
            models.Index(fields=["respondent_type", "arm", "submitted_at"], name="response_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_respondent_type_display()} ({self.get_arm_display()})"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(
        SurveyResponse, on_delete=models.CASCADE, related_name="answers", verbose_name=_("antwoord")
    )
    item = models.CharField(_("stelling"), max_length=30, choices=SurveyItem.choices)
    score = models.PositiveSmallIntegerField(_("score (1-5)"))

    class Meta:
        verbose_name = _("score per stelling")
        verbose_name_plural = _("scores per stelling")
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="answer_unique_item"),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5),
                name="answer_score_range",
                violation_error_message=_("Een score ligt tussen 1 en 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.score}"


class ResearchExport(models.Model):
    """A research export asked for by a researcher; its file is deleted when it expires."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="research_exports",
        verbose_name=_("aangevraagd door"),
    )
    dataset = models.CharField(_("dataset"), max_length=20, choices=ExportDataset.choices)
    file_format = models.CharField(_("formaat"), max_length=5, choices=ExportFormat.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("voortgang (%)"), default=0)
    # When the worker last reported (claim, row count, each percent): a running export that
    # stays silent for long has lost its worker (services.is_stalled).
    progress_at = models.DateTimeField(_("laatste voortgang"), null=True, blank=True)
    # The worker's sign of life while the export runs, stamped every few seconds by a thread
    # next to the work (bip.lib.heartbeat): a running export whose stamp is older than
    # ORPHANED_AFTER has lost its worker and is marked failed (services.export_fail_orphaned).
    heartbeat_at = models.DateTimeField(_("laatste teken van leven"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("aantal rijen"), null=True, blank=True)
    file_name = models.CharField(_("bestand"), max_length=255, blank=True)
    requested_at = models.DateTimeField(_("aangevraagd op"), default=timezone.now)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)
    error = models.CharField(_("foutmelding"), max_length=500, blank=True)
    parameters = models.JSONField(_("filters"), default=dict, blank=True)
    expires_at = models.DateTimeField(_("beschikbaar tot"), null=True, blank=True)

    class Meta:
        verbose_name = _("onderzoeksexport")
        verbose_name_plural = _("onderzoeksexports")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_range"),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-requested_at"], name="export_user_idx"),
            models.Index(fields=["status", "expires_at"], name="export_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_dataset_display()} ({self.get_file_format_display()})"


class ExportEvent(AppendOnlyModel):
    """The log of research exports: who did what with which export, when, and how many rows."""

    export = models.ForeignKey(
        ResearchExport, on_delete=models.PROTECT, related_name="events", verbose_name=_("export")
    )
    kind = models.CharField(_("gebeurtenis"), max_length=20, choices=ExportEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("door"),
    )
    row_count = models.PositiveIntegerField(_("aantal rijen"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("tijdstip"), default=timezone.now)

    class Meta:
        verbose_name = _("exportlogregel")
        verbose_name_plural = _("exportlog")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["export", "occurred_at"], name="exportevent_idx")]

    def __str__(self) -> str:
        return f"{self.export} {self.get_kind_display()}"


class MeasuredFigures(models.Model):
    """The figures of one case's three-month measurement (defined in `evaluation.definitions`),
    shared by the daily snapshot (`Measurement`) and the data freezes (`FrozenMeasurement`)."""

    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices)
    date_received = models.DateField(_("datum melding"))
    measured_on = models.DateField(_("meetdatum"))
    status = models.CharField(_("status"), max_length=12, choices=MeasurementStatus.choices)
    suitable = models.BooleanField(_("passende uitkomst binnen drie maanden"), null=True)
    outcome_category = models.CharField(
        _("uitkomst op de meetdatum"), max_length=30, choices=OutcomeCategory.choices, blank=True
    )
    days_to_outcome = models.PositiveIntegerField(_("dagen tot uitkomst"), null=True)
    days_to_first_contact = models.PositiveIntegerField(_("dagen tot eerste contact"), null=True)
    distinct_professionals = models.PositiveSmallIntegerField(_("aantal professionals"))
    handovers = models.PositiveSmallIntegerField(_("aantal overdrachten"))
    contacts = models.PositiveIntegerField(_("aantal contacten"))
    furthest_stage = models.CharField(_("verste ketenstap"), max_length=20, choices=Stage.choices)
    km_days = models.PositiveIntegerField(_("Kaplan-Meier: dagen"))
    km_event = models.BooleanField(_("Kaplan-Meier: uitkomst bereikt"))

    class Meta:
        abstract = True


class Measurement(MeasuredFigures):
    """The three-month snapshot of one case, stored once when the case passes its date.

    The fields are defined in `evaluation.definitions`; the snapshot command writes them and
    never changes a stored row, so the report stays reproducible.
    """

    case = models.OneToOneField(
        Case,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="measurement",
        verbose_name=_("zaak"),
    )
    definitions_version = models.PositiveSmallIntegerField(_("versie definities"))
    computed_at = models.DateTimeField(_("berekend op"), default=timezone.now)
    # The STUDY_END this row was censored with (empty: no study end). A snapshot made with
    # another STUDY_END is refused until `snapshot_measurements --restate --reason` rebuilds it.
    study_end = models.DateField(_("einde studie bij de meting"), null=True, blank=True)

    class Meta:
        verbose_name = _("driemaandsmeting")
        verbose_name_plural = _("driemaandsmetingen")
        indexes = [
            models.Index(fields=["arm", "date_received"], name="measurement_arm_idx"),
            models.Index(fields=["date_received"], name="measurement_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ({self.measured_on})"


class MeasurementRestatement(AppendOnlyModel):
    """A rebuild of the daily snapshot (`snapshot_measurements --restate --reason`): why, and
    with which STUDY_END before and after. Every stored Measurement was deleted and measured
    again; the rows written are counted by the snapshot run that follows."""

    reason = models.TextField(_("reden"))
    previous_study_ends = models.CharField(_("eerder einde studie"), max_length=200, blank=True)
    study_end = models.DateField(_("nieuw einde studie"), null=True, blank=True)
    deleted = models.PositiveIntegerField(_("verwijderde metingen"))
    restated_at = models.DateTimeField(_("tijdstip"), default=timezone.now)

    class Meta:
        verbose_name = _("herberekening van de driemaandsmeting")
        verbose_name_plural = _("herberekeningen van de driemaandsmeting")
        ordering = ["-restated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.restated_at:%Y-%m-%d %H:%M}"


class DataFreeze(models.Model):
    """A versioned, never-changed set of three-month measurements (a data freeze).

    Computed as of `as_of` from the records present at that moment (see
    `evaluation.freezes`). `sha256` is the hash over its rows in the canonical serialisation
    documented there, so anyone can check that the rows are the ones frozen.
    """

    label = models.CharField(_("label"), max_length=40, unique=True)
    as_of = models.DateTimeField(_("peilmoment"))
    study_end = models.DateField(_("einde studie"), null=True, blank=True)
    definitions_version = models.PositiveSmallIntegerField(_("versie definities"))
    row_count = models.PositiveIntegerField(_("aantal rijen"))
    rows_bip = models.PositiveIntegerField(_("rijen BIP"))
    rows_control = models.PositiveIntegerField(_("rijen controle"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gemaakt door"),
    )
    created_at = models.DateTimeField(_("gemaakt op"), default=timezone.now)

    class Meta:
        verbose_name = _("datafreeze")
        verbose_name_plural = _("datafreezes")
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return self.label


class FrozenMeasurement(MeasuredFigures):
    """One case's three-month measurement in a data freeze: the fields of `Measurement`."""

    freeze = models.ForeignKey(
        DataFreeze, on_delete=models.CASCADE, related_name="rows", verbose_name=_("datafreeze")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="frozen_measurements", verbose_name=_("zaak")
    )

    class Meta:
        verbose_name = _("meting in een datafreeze")
        verbose_name_plural = _("metingen in een datafreeze")
        constraints = [
            models.UniqueConstraint(fields=["freeze", "case"], name="frozen_one_row_per_case"),
        ]
        indexes = [
            models.Index(fields=["freeze", "arm", "date_received"], name="frozen_arm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.freeze} {self.case_id}"


class ReportAggregate(models.Model):
    """The evaluation report's rows per referral month (`evaluation.report_inputs`), computed
    ahead of time for one source: the daily snapshot (`freeze` empty) or one data freeze.

    Written with the daily snapshot run and with each freeze (`evaluation.aggregates`); a new
    computation replaces the source's row. The report page adds up the months it shows from it,
    as of `computed_at`, instead of reading every case."""

    SNAPSHOT = "snapshot"

    source = models.CharField(_("bron"), max_length=30, unique=True)
    freeze = models.OneToOneField(
        DataFreeze,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_aggregate",
        verbose_name=_("datafreeze"),
    )
    computed_at = models.DateTimeField(_("berekend op"))
    seconds = models.FloatField(_("rekentijd (seconden)"))
    rows = models.JSONField(_("rijen per maand"))

    class Meta:
        verbose_name = _("rapportcijfers per maand")
        verbose_name_plural = _("rapportcijfers per maand")

    def __str__(self) -> str:
        return f"{self.source} ({self.computed_at:%Y-%m-%d %H:%M})"

    @staticmethod
    def source_of(freeze: DataFreeze | None) -> str:
        return ReportAggregate.SNAPSHOT if freeze is None else f"freeze:{freeze.pk}"

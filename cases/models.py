import datetime
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Self

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bip.lib.models import ChoiceLabels
from cases.constants import Arm
from professionals.groups import AnyUser, is_coordinator, is_professional
from professionals.models import Professional
from roles.constants import ChainRole, Channel, ContactKind, ContactWith

from .constants import (
    DEADLINE_MONTHS,
    IMPORT_OPEN_STATUSES,
    MAX_SCHOOL_AGE,
    MIN_SCHOOL_AGE,
    AssignmentReason,
    CaseSource,
    CaseStatus,
    DocumentKind,
    GuardianLanguage,
    GuardianRelation,
    HaltResult,
    ImportRowStatus,
    ImportStatus,
    LetterKind,
    MeldingType,
    OutcomeCategory,
    PlanChangeKind,
    PlanOwner,
    SchoolLevel,
    Stage,
)
from .names import NameSearchKey, SearchKeyField, full_name, last_name_with_prefix
from .phones import display_phone
from .validators import (
    normalise_brin,
    normalise_bsn,
    normalise_postcode,
    validate_brin,
    validate_bsn,
    validate_onderwijsnummer,
    validate_postcode,
)

if TYPE_CHECKING:
    # Type-checking only: django-stubs-ext is a development dependency.
    from django_stubs_ext import StrOrPromise

MAX_CONTACT_MINUTES = 8 * 60


def three_month_deadline(received: datetime.date) -> datetime.date:
    """The referral date plus three calendar months, clamped to the month's end.

    31 January -> 30 April; 30 November 2023 -> 29 February 2024 (leap year).
    """
    return received + relativedelta(months=DEADLINE_MONTHS)


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Age in whole years on `day`. A child born on 29 February turns a year older on 1 March."""
    # Compare (month, day) rather than use relativedelta, which clamps 29 February to 28 February
    # in a non-leap year and so ages a leap-day child a day early.
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


class School(models.Model):
    brin = models.CharField(
        _("BRIN"),
        max_length=6,
        unique=True,
        validators=[validate_brin],
        help_text=_(
            "Twee cijfers en twee letters, eventueel met vestigingsnummer: 05KD of 05KD00."
        ),
    )
    name = models.CharField(_("naam"), max_length=200)
    level = models.CharField(_("onderwijssoort"), max_length=3, choices=SchoolLevel.choices)
    city = models.CharField(_("plaats"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("scholen")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="school_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.brin})"

    def clean(self) -> None:
        self.brin = normalise_brin(self.brin)


class Household(models.Model):
    street = models.CharField(_("straat en huisnummer"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=7, validators=[validate_postcode])
    city = models.CharField(_("plaats"), max_length=100)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    # Set by `manage.py apply_retention` (cases/retention.py) once no child of the household
    # remains: the address is blanked and the household plan deleted.
    anonymised_at = models.DateTimeField(
        _("geanonimiseerd op"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("huishouden")
        verbose_name_plural = _("huishoudens")
        indexes = [models.Index(fields=["postcode", "street"], name="household_address_idx")]

    def __str__(self) -> str:
        return _("Huishouden %(pk)s") % {"pk": self.pk}

    def clean(self) -> None:
        self.postcode = normalise_postcode(self.postcode)


class Child(models.Model):
    first_name = models.CharField(_("voornaam"), max_length=100)
    # BRP and DUO deliver the tussenvoegsel ("de", "van der") apart from the last name.
    tussenvoegsel = models.CharField(
        _("tussenvoegsel"),
        max_length=20,
        blank=True,
        default="",
        db_default="",
        help_text=_("Bijvoorbeeld “de” of “van der”."),
    )
    last_name = models.CharField(_("achternaam"), max_length=150)
    date_of_birth = models.DateField(_("geboortedatum"))
    bsn = models.CharField(_("BSN"), max_length=9, null=True, blank=True, validators=[validate_bsn])
    onderwijsnummer = models.CharField(
        _("onderwijsnummer"),
        max_length=9,
        null=True,
        blank=True,
        validators=[validate_onderwijsnummer],
        help_text=_("Alleen voor leerlingen zonder BSN."),
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("school"),
        help_text=_("Leeg bij absoluut verzuim: niet ingeschreven."),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="children", verbose_name=_("huishouden")
    )
    # Computed by the database from the three name fields (cases/names.py): every write path
    # keeps it right, and an anonymised child's key is blank with its names.
    search_key = SearchKeyField(
        expression=NameSearchKey("first_name", "tussenvoegsel", "last_name"),
        output_field=models.CharField(max_length=300),
        db_persist=True,
        verbose_name=_("zoeksleutel naam"),
    )
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    # Set by `manage.py apply_retention` once all the child's cases are past retention: names,
    # BSN and onderwijsnummer are removed and the date of birth is kept as 1 January of its year.
    anonymised_at = models.DateTimeField(
        _("geanonimiseerd op"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("kind")
        verbose_name_plural = _("kinderen")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["bsn"], condition=Q(bsn__isnull=False), name="child_unique_bsn"
            ),
            models.UniqueConstraint(
                fields=["onderwijsnummer"],
                condition=Q(onderwijsnummer__isnull=False),
                name="child_unique_onderwijsnummer",
            ),
        ]
        indexes = [
            models.Index(Upper("last_name"), "date_of_birth", name="child_name_dob_idx"),
            # Intake's duplicate check: a date of birth, then the name (selectors).
            models.Index(fields=["date_of_birth"], name="child_dob_idx"),
        ]

    def __str__(self) -> str:
        if self.anonymised_at:
            return str(_("Geanonimiseerd kind %(pk)s") % {"pk": self.pk})
        return self.full_name

    @property
    def full_name(self) -> str:
        """ "Eva de Vries": first name, tussenvoegsel and last name."""
        return full_name(self.first_name, self.tussenvoegsel, self.last_name)

    @property
    def surname(self) -> str:
        """ "de Vries": the last name as written after the first name."""
        return last_name_with_prefix(self.tussenvoegsel, self.last_name)

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # Normalise before the field validators run: "1234 56 782" would fail max_length=9.
        self.bsn = normalise_bsn(self.bsn or "") or None
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        self.bsn = normalise_bsn(self.bsn or "") or None
        self.onderwijsnummer = self.onderwijsnummer or None
        today = timezone.localdate()
        if self.date_of_birth and self.date_of_birth > today:
            raise ValidationError({"date_of_birth": _("De geboortedatum ligt in de toekomst.")})

    def age_on(self, day: datetime.date) -> int:
        return age_on(self.date_of_birth, day)


class GuardianQuerySet(models.QuerySet["Guardian"]):
    def of_household(self, household_id: int) -> Self:
        """The guardians a household shares: custody first, then in the order recorded."""
        return self.filter(household_id=household_id).order_by("-has_custody", "id")


class Guardian(models.Model):
    """A parent or carer, shared by the household: every child's case shows the same ones.

    `child` is the child in whose file the guardian was first recorded (kept for the inzage
    per child and for the demo generator); who a guardian belongs to is `household`.
    """

    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="guardians",
        verbose_name=_("huishouden"),
    )
    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="guardians",
        verbose_name=_("vastgelegd bij kind"),
    )
    relation = models.CharField(_("relatie"), max_length=20, choices=GuardianRelation.choices)
    has_custody = models.BooleanField(_("heeft gezag"), default=True)
    name = models.CharField(_("naam"), max_length=200)
    # E.164 (+31612345678) when entered through the app; shown in the national format.
    phone = models.CharField(_("telefoon"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    preferred_language = models.CharField(
        _("voorkeurstaal"),
        max_length=10,
        choices=GuardianLanguage.choices,
        default=GuardianLanguage.DUTCH,
        db_default=GuardianLanguage.DUTCH,
    )
    # Only when the guardian does not live at the household's address.
    # (db_default: the demo generator writes rows without these columns.)
    street = models.CharField(
        _("straat en huisnummer"), max_length=200, blank=True, default="", db_default=""
    )
    postcode = models.CharField(
        _("postcode"),
        max_length=7,
        blank=True,
        default="",
        db_default="",
        validators=[validate_postcode],
    )
    city = models.CharField(_("plaats"), max_length=100, blank=True, default="", db_default="")

    objects = GuardianQuerySet.as_manager()

    class Meta:
        verbose_name = _("ouder of verzorger")
        verbose_name_plural = _("ouders en verzorgers")
        ordering = ["household", "-has_custody", "id"]
        indexes = [models.Index(fields=["household", "id"], name="guardian_household_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"

    @property
    def lives_elsewhere(self) -> bool:
        return bool(self.street or self.postcode or self.city)

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)


class CaseNumberCounter(models.Model):
    """The last case number issued per year; locked while a number is drawn."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("zaaknummerteller")
        verbose_name_plural = _("zaaknummertellers")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> Self:
        return self.filter(status=CaseStatus.OPEN)

    def closed(self) -> Self:
        return self.filter(status=CaseStatus.CLOSED)

    def assigned_to(self, user: AnyUser) -> Self:
        """The ownership rule, written only here: the cases assigned to `user` while they work
        as a professional (in the Professional group, account and Professional record active).

        cases/access.py asks this QuerySet for single cases too, so that a deactivated
        professional loses every case at once: lists, pages and writes.
        """
        if not user.is_authenticated or not user.is_active or not is_professional(user):
            return self.none()
        return self.filter(professional__in=Professional.objects.active().filter(user=user))

    def needing_new_professional(self) -> Self:
        """Open cases whose professional no longer works: the coordinator must reassign them."""
        return self.open().filter(professional__in=Professional.objects.inactive())

    def visible_to(self, user: AnyUser) -> Self:
        """Cases `user` may see: the coordinator all, a professional those assigned to them."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        # An anonymised case (past retention) is no longer a case file anyone works on; it
        # remains only for the evaluation's aggregates.
        if is_coordinator(user):
            return self.filter(anonymised_at__isnull=True)
        return self.assigned_to(user).filter(anonymised_at__isnull=True)

    def with_list_columns(self) -> Self:
        return self.select_related("child", "child__school", "professional__user")


class Case(ChoiceLabels):
    """A school-absence referral (verzuimmelding) and its course through the chain."""

    number = models.CharField(_("zaaknummer"), max_length=20, unique=True, editable=False)
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="cases", verbose_name=_("kind")
    )
    date_received = models.DateField(_("datum melding ontvangen"))
    source = models.CharField(
        _("bron"), max_length=20, choices=CaseSource.choices, default=CaseSource.DUO
    )
    melding_type = models.CharField(_("soort melding"), max_length=10, choices=MeldingType.choices)
    hours_absent = models.PositiveSmallIntegerField(_("uren verzuim"), default=0)
    times_late = models.PositiveSmallIntegerField(_("keer te laat"), default=0)
    period_start = models.DateField(_("verzuim vanaf"))
    period_end = models.DateField(_("verzuim tot en met"))
    stage = models.CharField(
        _("ketenstap"), max_length=20, choices=Stage.choices, default=Stage.LEERPLICHT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("huidige professional"),
    )
    arm = models.CharField(
        _("onderzoeksarm"),
        max_length=10,
        choices=Arm.choices,
        blank=True,
        default="",
        editable=False,
        help_text=_("Afgeleid van het laatste toewijzingsrecord in de evaluatie."),
    )
    three_month_deadline = models.DateField(_("driemaandentermijn"), editable=False)
    handover_requested_at = models.DateTimeField(
        _("wacht op overdracht sinds"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Controlearm: de zaak ging naar de ketenstap van een andere organisatie en wacht "
            "op overdracht door de coördinator."
        ),
    )
    closed_on = models.DateField(_("gesloten op"), null=True, blank=True, editable=False)
    # Set by `manage.py apply_retention`: free texts removed, the child anonymised. The case
    # row stays for the evaluation (Measurement, Allocation and surveys refer to it).
    anonymised_at = models.DateTimeField(
        _("geanonimiseerd op"), null=True, blank=True, editable=False
    )
    # Optimistic concurrency: every service write bumps the version.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    # Set by cases.access for the request's user: ((user pk, professional pk), assigned?), so
    # that the case page asks the ownership rule once. Not a field.
    _assigned_to: tuple[tuple[int | None, int | None], bool]
    # Set by cases.access.case_professional_roles: ((professional pk, day), roles). Not a field.
    _professional_roles: tuple[tuple[int | None, datetime.date], list[ChainRole]]

    class Meta:
        verbose_name = _("zaak")
        verbose_name_plural = _("zaken")
        ordering = ["-date_received", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="case_period_order",
                violation_error_message=_("Het einde van de verzuimperiode ligt vóór het begin."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__lte=F("date_received")),
                name="case_period_before_received",
                violation_error_message=_(
                    "De verzuimperiode eindigt uiterlijk op de datum van de melding."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.OPEN, closed_on__isnull=True)
                | Q(status=CaseStatus.CLOSED, closed_on__isnull=False),
                name="case_closed_on_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(hours_absent__lte=2000) & Q(times_late__lte=1000),
                name="case_absence_sane",
            ),
        ]
        indexes = [
            models.Index(fields=["-date_received", "-id"], name="case_received_idx"),
            models.Index(
                fields=["status", "stage", "-date_received"], name="case_status_stage_idx"
            ),
            models.Index(
                fields=["professional", "status", "three_month_deadline"],
                name="case_prof_status_idx",
            ),
            models.Index(
                fields=["three_month_deadline"],
                condition=Q(status="open"),
                name="case_open_deadline_idx",
            ),
            models.Index(
                fields=["date_received"],
                condition=Q(status="open", professional__isnull=True),
                name="case_unassigned_idx",
            ),
            models.Index(fields=["arm", "status"], name="case_arm_status_idx"),
            models.Index(
                fields=["handover_requested_at"],
                condition=Q(handover_requested_at__isnull=False),
                name="case_handover_waiting_idx",
            ),
            models.Index(fields=["melding_type", "-date_received"], name="case_melding_idx"),
            # The case list's deadline sort (?sort=termijn and -termijn) over all cases: the
            # partial index above covers open cases only, and without this one the sort joins
            # and sorts the whole table (1.5 s at 1M cases).
            models.Index(fields=["three_month_deadline", "id"], name="case_deadline_idx"),
            # A child's earlier referrals (Table 1, evaluation/baseline.py): one index-only probe
            # per case. Table 1 at 1M cases: 3.1 -> 2.6 s.
            models.Index(fields=["child", "date_received"], name="case_child_received_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.date_received:
            self.three_month_deadline = three_month_deadline(self.date_received)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("cases:case_detail", args=[self.pk])

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # The deadline is derived, so it is known before the fields are validated.
        if self.date_received:
            self.three_month_deadline = three_month_deadline(self.date_received)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.date_received and self.date_received > timezone.localdate():
            errors["date_received"] = _("De datum van ontvangst ligt in de toekomst.")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("Het einde van de verzuimperiode ligt vóór het begin.")
        if self.period_end and self.date_received and self.period_end > self.date_received:
            errors["period_end"] = _(
                "De verzuimperiode eindigt uiterlijk op de datum van de melding."
            )
        if self.child_id and self.date_received:
            age = self.child.age_on(self.date_received)
            if not MIN_SCHOOL_AGE <= age <= MAX_SCHOOL_AGE:
                errors["child"] = _(
                    "Op de meldingsdatum is het kind %(age)s jaar. Een verzuimmelding gaat over "
                    "een leerplichtig of kwalificatieplichtig kind van 5 tot en met 17 jaar."
                ) % {"age": age}
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    def days_left(self, today: datetime.date) -> int:
        return (self.three_month_deadline - today).days


class StageChange(models.Model):
    """One step in a case's history: a stage change, a closure or a reopening."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("zaak")
    )
    from_stage = models.CharField(
        _("van ketenstap"), max_length=20, choices=Stage.choices, blank=True
    )
    to_stage = models.CharField(_("naar ketenstap"), max_length=20, choices=Stage.choices)
    from_status = models.CharField(
        _("van status"), max_length=10, choices=CaseStatus.choices, blank=True
    )
    to_status = models.CharField(_("naar status"), max_length=10, choices=CaseStatus.choices)
    reason = models.TextField(_("reden"))
    halt_result = models.CharField(
        _("uitkomst Halt"), max_length=30, choices=HaltResult.choices, blank=True
    )
    pupil_consent = models.BooleanField(_("toestemming leerling"), null=True, blank=True)
    parent_consent = models.BooleanField(_("toestemming ouders"), null=True, blank=True)
    eligibility_override = models.BooleanField(
        _("toelating bewust overschreven"),
        default=False,
        help_text=_("De toelatingscriteria zijn niet gehaald; de reden staat hierboven."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("door"),
    )
    changed_at = models.DateTimeField(_("tijdstip"), default=timezone.now)

    class Meta:
        verbose_name = _("ketenstapwijziging")
        verbose_name_plural = _("ketenstapwijzigingen")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["case", "-changed_at"], name="stagechange_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.from_stage or '–'} → {self.to_stage}"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def current(self) -> Self:
        return self.filter(ended_at__isnull=True)

    def handovers(self) -> Self:
        return self.filter(is_handover=True)


class Assignment(models.Model):
    """Who had the case from when to when, and why. A change of professional is a handover."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("zaak")
    )
    professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("professional"),
    )
    started_at = models.DateTimeField(_("vanaf"), default=timezone.now)
    ended_at = models.DateTimeField(_("tot"), null=True, blank=True)
    reason = models.CharField(_("reden"), max_length=20, choices=AssignmentReason.choices)
    note = models.TextField(_("toelichting"), blank=True)
    is_handover = models.BooleanField(_("overdracht"), default=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("toegewezen door"),
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("toewijzing")
        verbose_name_plural = _("toewijzingen")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="assignment_one_current"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="assignment_period_order",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "-started_at"], name="assignment_case_idx"),
            models.Index(fields=["professional", "started_at"], name="assignment_prof_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.professional}"


class ContactQuerySet(models.QuerySet["Contact"]):
    def follow_ups_due(self, day: datetime.date) -> Self:
        return self.filter(follow_up_on__isnull=False, follow_up_on__lte=day)


class Contact(ChoiceLabels):
    """One contact, logged with the chain role the professional took in it."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("zaak")
    )
    professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("professional"),
    )
    role = models.CharField(_("rol in dit contact"), max_length=20, choices=ChainRole.choices)
    kind = models.CharField(_("soort contact"), max_length=30, choices=ContactKind.choices)
    with_whom = models.CharField(_("met wie"), max_length=30, choices=ContactWith.choices)
    channel = models.CharField(_("kanaal"), max_length=20, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("datum en tijd"))
    duration_minutes = models.PositiveSmallIntegerField(_("duur in minuten"))
    summary = models.TextField(_("samenvatting"), blank=True)
    caution_given = models.BooleanField(_("cautie gegeven"), default=False)
    follow_up_on = models.DateField(_("vervolgafspraak op"), null=True, blank=True)
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vastgelegd door"),
    )
    # The last correction (its before/after values are a ContactCorrection row).
    corrected_at = models.DateTimeField(_("gecorrigeerd op"), null=True, blank=True, editable=False)
    # A PV or verhoor is legal evidence: after 24 hours it is withdrawn, never changed.
    withdrawn_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(
        _("reden van intrekking"), blank=True, editable=False, default="", db_default=""
    )

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacten")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=MAX_CONTACT_MINUTES),
                name="contact_duration_sane",
                violation_error_message=_("Een contact duurt tussen 1 minuut en 8 uur."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=ContactKind.VERHOOR) | Q(caution_given=True),
                name="contact_verhoor_caution",
                violation_error_message=_("Bij een verhoor moet de cautie zijn gegeven."),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[ContactKind.VERHOOR, ContactKind.PROCES_VERBAAL])
                | Q(role=ChainRole.LEERPLICHT),
                name="contact_boa_acts_leerplicht",
                violation_error_message=_(
                    "Een verhoor of proces-verbaal kan alleen in de rol Leerplicht."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["case", "-occurred_at"], name="contact_case_idx"),
            models.Index(
                fields=["professional", "follow_up_on"],
                condition=Q(follow_up_on__isnull=False),
                name="contact_follow_up_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_role_display()})"


class ContactCorrection(models.Model):
    """One correction of a logged contact: the values before and after, by whom and when.

    Written once by cases.services.contacts.contact_correct in the same transaction as the
    change; never changed. The contact keeps only the corrected values and `corrected_at`.
    """

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("contact")
    )
    before = models.JSONField(_("voor de correctie"))
    after = models.JSONField(_("na de correctie"))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("gecorrigeerd door"),
    )
    corrected_at = models.DateTimeField(_("gecorrigeerd op"), default=timezone.now)

    class Meta:
        verbose_name = _("correctie van een contact")
        verbose_name_plural = _("correcties van contacten")
        ordering = ["-corrected_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-corrected_at"], name="contactcorrection_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.corrected_at:%Y-%m-%d %H:%M}"


class HouseholdPlan(models.Model):
    """One household, one plan: shared by the cases of all children in the household."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="plan", verbose_name=_("huishouden")
    )
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("gezinsplan")
        verbose_name_plural = _("gezinsplannen")

    def __str__(self) -> str:
        return _("Plan voor %(household)s") % {"household": self.household}


class PlanGoal(models.Model):
    plan = models.ForeignKey(
        HouseholdPlan, on_delete=models.CASCADE, related_name="goals", verbose_name=_("plan")
    )
    description = models.CharField(_("doel"), max_length=500)
    position = models.PositiveSmallIntegerField(_("volgorde"), default=0)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)

    class Meta:
        verbose_name = _("doel")
        verbose_name_plural = _("doelen")
        ordering = ["plan", "position", "id"]

    def __str__(self) -> str:
        return self.description


class PlanAction(models.Model):
    plan = models.ForeignKey(
        HouseholdPlan, on_delete=models.CASCADE, related_name="actions", verbose_name=_("plan")
    )
    goal = models.ForeignKey(
        PlanGoal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("doel"),
    )
    description = models.CharField(_("actie"), max_length=500)
    owner = models.CharField(_("eigenaar"), max_length=20, choices=PlanOwner.choices)
    owner_professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_actions",
        verbose_name=_("professional als eigenaar"),
    )
    due_on = models.DateField(_("uiterlijk op"))
    done_on = models.DateField(_("afgerond op"), null=True, blank=True)

    class Meta:
        verbose_name = _("actie")
        verbose_name_plural = _("acties")
        ordering = ["plan", "done_on", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(owner=PlanOwner.PROFESSIONAL) | Q(owner_professional__isnull=False),
                name="planaction_professional_owner",
                violation_error_message=_("Kies welke professional eigenaar is van de actie."),
            ),
        ]
        indexes = [models.Index(fields=["plan", "due_on"], name="planaction_plan_due_idx")]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class PlanChange(models.Model):
    """A recorded change to a household plan, shown in each household case's timeline."""

    plan = models.ForeignKey(
        HouseholdPlan, on_delete=models.CASCADE, related_name="changes", verbose_name=_("plan")
    )
    kind = models.CharField(_("soort wijziging"), max_length=30, choices=PlanChangeKind.choices)
    description = models.CharField(_("omschrijving"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("door")
    )
    changed_at = models.DateTimeField(_("tijdstip"), default=timezone.now)

    class Meta:
        verbose_name = _("planwijziging")
        verbose_name_plural = _("planwijzigingen")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["plan", "-changed_at"], name="planchange_plan_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


class Outcome(models.Model):
    """The outcome recorded at closure. A reopened and closed-again case has several."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("zaak")
    )
    category = models.CharField(_("uitkomst"), max_length=30, choices=OutcomeCategory.choices)
    achieved_on = models.DateField(_("datum uitkomst"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vastgelegd door"),
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    class Meta:
        verbose_name = _("uitkomst")
        verbose_name_plural = _("uitkomsten")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["case", "-recorded_at"], name="outcome_case_idx")]

    def __str__(self) -> str:
        return self.get_category_display()


class Melding(models.Model):
    """A further verzuimmelding for a child whose case is still open, added to that case.

    A child has at most one open case: a new referral joins it (cases.services.meldingen)
    rather than opening a second one. The case's own fields keep the first melding.
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="meldingen", verbose_name=_("zaak")
    )
    date_received = models.DateField(_("datum melding ontvangen"))
    source = models.CharField(
        _("bron"), max_length=20, choices=CaseSource.choices, default=CaseSource.DUO
    )
    melding_type = models.CharField(_("soort melding"), max_length=10, choices=MeldingType.choices)
    hours_absent = models.PositiveSmallIntegerField(_("uren verzuim"), default=0)
    times_late = models.PositiveSmallIntegerField(_("keer te laat"), default=0)
    period_start = models.DateField(_("verzuim vanaf"))
    period_end = models.DateField(_("verzuim tot en met"))
    note = models.TextField(_("toelichting"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vastgelegd door"),
    )
    created_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    class Meta:
        verbose_name = _("aanvullende melding")
        verbose_name_plural = _("aanvullende meldingen")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="melding_period_order",
                violation_error_message=_("Het einde van de verzuimperiode ligt vóór het begin."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__lte=F("date_received")),
                name="melding_period_before_received",
                violation_error_message=_(
                    "De verzuimperiode eindigt uiterlijk op de datum van de melding."
                ),
            ),
            models.CheckConstraint(
                condition=Q(hours_absent__lte=2000) & Q(times_late__lte=1000),
                name="melding_absence_sane",
            ),
        ]
        indexes = [models.Index(fields=["case", "-created_at"], name="melding_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_melding_type_display()} ({self.date_received})"


class Document(models.Model):
    """A file on a case: uploaded (an absence overview, a DUO melding, a signed PV, a report)
    or a letter generated from the case (kind "brief", with the letter and the role).

    The file lives in the default storage (settings.STORAGES, outside the web root) under a
    random `storage_name`; it is served only by cases.views.documents.document_download.
    Written only by cases.services.documents; the row is the case timeline's entry. Deleted,
    file included, by apply_retention (cases/retention.py) with the case's other data.
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="documents", verbose_name=_("zaak")
    )
    kind = models.CharField(_("soort document"), max_length=30, choices=DocumentKind.choices)
    letter = models.CharField(
        _("soort brief"), max_length=30, choices=LetterKind.choices, blank=True, default=""
    )
    role = models.CharField(
        _("verstuurd in de rol"), max_length=20, choices=ChainRole.choices, blank=True, default=""
    )
    original_name = models.CharField(_("bestandsnaam"), max_length=255)
    storage_name = models.CharField(_("opslagnaam"), max_length=255, unique=True, editable=False)
    content_type = models.CharField(_("bestandstype"), max_length=100)
    size = models.PositiveIntegerField(_("grootte in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("toegevoegd door"),
    )
    uploaded_at = models.DateTimeField(_("toegevoegd op"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documenten")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=DocumentKind.LETTER) | Q(letter=""),
                name="document_letter_only_for_letters",
            ),
        ]
        indexes = [models.Index(fields=["case", "-uploaded_at"], name="document_case_idx")]

    def __str__(self) -> str:
        return self.original_name


class ImportBatch(models.Model):
    """One uploaded CSV file of verzuimmeldingen: first its preview, then its import report.

    The rows' cells are kept (ImportRow.payload) only while the batch is a preview; confirming
    or cancelling deletes them and keeps the report: line numbers, case numbers, error reasons.
    """

    file_name = models.CharField(_("bestandsnaam"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("geüpload door"),
    )
    uploaded_at = models.DateTimeField(_("geüpload op"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW
    )
    row_count = models.PositiveIntegerField(_("regels"), default=0)
    valid_count = models.PositiveIntegerField(_("regels zonder fouten"), default=0)
    error_count = models.PositiveIntegerField(_("regels met fouten"), default=0)
    imported_count = models.PositiveIntegerField(_("zaken aangemaakt"), default=0)
    skipped_count = models.PositiveIntegerField(_("regels overgeslagen"), default=0)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bevestigd of geannuleerd door"),
    )
    finished_at = models.DateTimeField(_("bevestigd of geannuleerd op"), null=True, blank=True)
    # Progress of the running background task (checking or confirming), in percent, and when
    # the worker last reported: a long silence means the worker is not running.
    progress = models.PositiveSmallIntegerField(_("voortgang"), default=0)
    progress_at = models.DateTimeField(_("laatste voortgang"), null=True, blank=True)
    # Why the last check or confirmation failed; shown on the batch's page. Never a cell value.
    error = models.CharField(_("fout"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("import van meldingen")
        verbose_name_plural = _("imports van meldingen")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=IMPORT_OPEN_STATUSES, finished_at__isnull=True)
                | (~Q(status__in=IMPORT_OPEN_STATUSES) & Q(finished_at__isnull=False)),
                name="importbatch_finished_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["-uploaded_at", "-id"], name="importbatch_uploaded_idx")]

    def __str__(self) -> str:
        return _("Import %(pk)s (%(file_name)s)") % {"pk": self.pk, "file_name": self.file_name}

    @property
    def is_preview(self) -> bool:
        return self.status == ImportStatus.PREVIEW

    @property
    def is_busy(self) -> bool:
        """A background task checks or imports the batch (or should: see is_stalled)."""
        return self.status in (ImportStatus.CHECKING, ImportStatus.CONFIRMING)


class ImportFile(models.Model):
    """The uploaded CSV file of a batch, kept only until the check task has read it.

    A separate table, so that loading a batch never loads up to 10 MB of file.
    """

    batch = models.OneToOneField(
        ImportBatch,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="upload",
        verbose_name=_("import"),
    )
    content = models.BinaryField(_("inhoud"))

    class Meta:
        verbose_name = _("geüpload importbestand")
        verbose_name_plural = _("geüploade importbestanden")

    def __str__(self) -> str:
        return str(self.batch_id)


class ImportRow(models.Model):
    """One line of an import batch: what it will create, or why it is refused."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="rows", verbose_name=_("import")
    )
    line_number = models.PositiveIntegerField(_("regel"))
    status = models.CharField(_("status"), max_length=10, choices=ImportRowStatus.choices)
    # The row's cells by column name, only while the batch is a preview and only for rows
    # without errors: confirming reads them instead of the file. Deleted on confirm or cancel.
    payload = models.JSONField(_("inhoud"), null=True, blank=True)
    # Readable reasons. They never repeat a cell's value, so no BSN or name stays behind.
    errors = models.JSONField(_("fouten"), default=list, blank=True)
    child_is_new = models.BooleanField(_("nieuw kind"), null=True, blank=True)
    household_is_new = models.BooleanField(_("nieuw huishouden"), null=True, blank=True)
    same_household_as_line = models.PositiveIntegerField(
        _("zelfde nieuwe huishouden als regel"), null=True, blank=True
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("zaak"),
    )
    case_number = models.CharField(_("zaaknummer"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("importregel")
        verbose_name_plural = _("importregels")
        ordering = ["batch", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_number"], name="importrow_unique_line"),
        ]
        indexes = [
            models.Index(fields=["batch", "status", "line_number"], name="importrow_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line_number}"

    @property
    def child_name(self) -> str:
        if not self.payload:
            return ""
        return full_name(
            self.payload.get("voornamen", ""),
            self.payload.get("tussenvoegsel", ""),
            self.payload.get("achternaam", ""),
        )

    @property
    def melding_type_label(self) -> str:
        value = (self.payload or {}).get("soort_verzuim", "").lower()
        return str(MeldingType(value).label) if value in MeldingType.values else ""


class RetentionRun(models.Model):
    """One real run of `manage.py apply_retention`: when, under which rules, and what it did.

    Dry runs write nothing, so they leave no row. Counts are per kind (see
    cases.retention.COUNT_LABELS); the policy holds the settings and cut-off dates used.
    """

    started_at = models.DateTimeField(_("gestart op"), default=timezone.now)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)
    actor = models.CharField(
        _("uitgevoerd door"),
        max_length=150,
        default="system",
        help_text=_("Het systeem (geplande taak) of de beheerder die het commando startte."),
    )
    policy = models.JSONField(_("regels en peildata"), default=dict)
    counts = models.JSONField(_("aantallen"), default=dict)

    class Meta:
        verbose_name = _("uitvoering bewaartermijnen")
        verbose_name_plural = _("uitvoeringen bewaartermijnen")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return _("Bewaartermijnen %(when)s") % {
            "when": timezone.localtime(self.started_at).strftime("%d-%m-%Y %H:%M")
        }

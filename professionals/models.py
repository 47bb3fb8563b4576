import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roles.constants import ChainRole

from .constants import DEFAULT_MAX_CASELOAD


class Organisation(models.Model):
    kind = models.CharField(_("soort"), max_length=20, choices=ChainRole.choices)
    name = models.CharField(_("naam"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Letterhead(models.Model):
    """How an organisation's letters look: its letterhead, return address and signatory.

    Kept by the functional administrator in the admin; the letter texts themselves are
    templates in the repository (templates/letters/).
    """

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="letterhead",
        verbose_name=_("organisatie"),
    )
    heading = models.TextField(
        _("briefhoofd"),
        max_length=500,
        help_text=_("Naam en adresgegevens bovenaan de brief, één gegeven per regel."),
    )
    return_address = models.CharField(
        _("retouradres"),
        max_length=200,
        help_text=_("Eén regel boven het adres van de ontvanger, bijvoorbeeld Postbus 1, Haarlem."),
    )
    signatory_name = models.CharField(_("naam ondertekenaar"), max_length=200)
    signatory_title = models.CharField(_("functie ondertekenaar"), max_length=200)
    footer = models.CharField(
        _("voettekst"),
        max_length=300,
        blank=True,
        help_text=_("Bijvoorbeeld telefoonnummer en website."),
    )

    class Meta:
        verbose_name = _("briefhoofd")
        verbose_name_plural = _("briefhoofden")

    def __str__(self) -> str:
        return str(self.organisation)


def professional_label(first_name: str, last_name: str, username: str) -> str:
    """How a professional is named in the app: the full name, else the user name."""
    return f"{first_name} {last_name}".strip() or username


class ProfessionalQuerySet(models.QuerySet["Professional"]):
    """`active()` is the one definition of a working professional; cases, assignment and the
    workload table all ask it."""

    def active(self) -> Self:
        """Professionals who work now: the record and its login account are both active.

        A deactivated account (User.is_active) counts too: it can no longer log in, so its
        cases need someone else just as much as when the record itself is switched off.
        """
        return self.filter(is_active=True, user__is_active=True)

    def inactive(self) -> Self:
        """Everyone `active()` leaves out: their open cases need a new professional."""
        return self.filter(Q(is_active=False) | Q(user__is_active=False))


class Professional(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="professional",
        verbose_name=_("gebruiker"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="professionals",
        verbose_name=_("thuisorganisatie"),
    )
    is_bip = models.BooleanField(
        _("breed inzetbaar (BIP)"),
        default=False,
        help_text=_("Getraind voor alle drie de ketenrollen en werkt in de BIP-arm."),
    )
    max_caseload = models.PositiveSmallIntegerField(
        _("maximale caseload"), default=DEFAULT_MAX_CASELOAD
    )
    is_active = models.BooleanField(_("actief"), default=True)

    objects = ProfessionalQuerySet.as_manager()

    class Meta:
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")
        ordering = ["user__last_name", "user__first_name"]
        indexes = [
            models.Index(fields=["is_active", "is_bip"], name="prof_active_bip_idx"),
            models.Index(fields=["organisation", "is_active"], name="prof_org_active_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_caseload__gte=1) & Q(max_caseload__lte=200),
                name="prof_max_caseload_range",
                violation_error_message=_("De maximale caseload ligt tussen 1 en 200."),
            ),
        ]

    def __str__(self) -> str:
        return professional_label(
            self.user.first_name, self.user.last_name, self.user.get_username()
        )


class QualificationQuerySet(models.QuerySet["Qualification"]):
    def valid_on(self, day: datetime.date) -> Self:
        return self.filter(valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class Qualification(models.Model):
    """A professional's qualification to act in one chain role, for a period."""

    professional = models.ForeignKey(
        Professional,
        on_delete=models.CASCADE,
        related_name="qualifications",
        verbose_name=_("professional"),
    )
    role = models.CharField(_("ketenrol"), max_length=20, choices=ChainRole.choices)
    valid_from = models.DateField(_("geldig vanaf"))
    valid_until = models.DateField(
        _("geldig tot en met"), null=True, blank=True, help_text=_("Leeg: geen einddatum.")
    )
    is_sworn = models.BooleanField(
        _("beëdigd als BOA"),
        default=False,
        help_text=_("Alleen voor de rol Leerplicht: nodig voor een verhoor en een proces-verbaal."),
    )

    objects = QualificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("kwalificatie")
        verbose_name_plural = _("kwalificaties")
        ordering = ["professional", "role", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "role", "valid_from"], name="qual_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="qual_period_order",
                violation_error_message=_("De einddatum ligt niet vóór de begindatum."),
            ),
            models.CheckConstraint(
                condition=Q(is_sworn=False) | Q(role=ChainRole.LEERPLICHT),
                name="qual_sworn_only_leerplicht",
                violation_error_message=_("Alleen een Leerplicht-kwalificatie kan beëdigd zijn."),
            ),
        ]
        indexes = [models.Index(fields=["professional", "role"], name="qual_prof_role_idx")]

    def __str__(self) -> str:
        return f"{self.professional} – {self.get_role_display()}"

"""The three chain roles and the kinds of contact (acts) a professional can log."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChainRole(models.TextChoices):
    """A role in the school-absence chain. Also the kind of an organisation and a case's stage."""

    LEERPLICHT = "leerplicht", _("Leerplicht")
    HALT = "halt", _("Halt")
    RVDK = "rvdk", _("Raad voor de Kinderbescherming")


CHAIN_ORDER = (ChainRole.LEERPLICHT, ChainRole.HALT, ChainRole.RVDK)


class ContactKind(models.TextChoices):
    # Leerplicht
    VERZUIMGESPREK = "verzuimgesprek", _("Verzuimgesprek")
    HUISBEZOEK = "huisbezoek", _("Huisbezoek")
    SCHOOLOVERLEG = "schooloverleg", _("Overleg met school")
    WAARSCHUWING = "waarschuwing", _("Waarschuwing")
    VERHOOR = "verhoor", _("Verhoor (met cautie)")
    PROCES_VERBAAL = "proces_verbaal", _("Proces-verbaal")
    ZORGMELDING = "zorgmelding", _("Zorgmelding")
    VRIJWILLIGE_HULP = "vrijwillige_hulp", _("Toeleiding naar vrijwillige hulp")
    # Halt
    HALT_INTAKE = "halt_intake", _("Halt-intake met ouders")
    LEEROPDRACHT = "leeropdracht", _("Leeropdracht")
    HALT_GESPREK = "halt_gesprek", _("Halt-gesprek op school of thuis")
    WERKOPDRACHT = "werkopdracht", _("Werkopdracht")
    EXCUSES = "excuses", _("Excuses aanbieden")
    HALT_AFSLUITING = "halt_afsluiting", _("Afsluitend Halt-gesprek")
    # RvdK
    RAADSONDERZOEK_GESPREK = "raadsonderzoek_gesprek", _("Gesprek raadsonderzoek")
    STRAFADVIES = "strafadvies", _("Strafadvies aan OM of rechter")
    BESCHERMINGSONDERZOEK = "beschermingsonderzoek", _("Gesprek beschermingsonderzoek")
    # Every role
    TELEFONISCH_CONTACT = "telefonisch_contact", _("Kort contact of afstemming")
    KETENOVERLEG = "ketenoverleg", _("Ketenoverleg")


class ContactWith(models.TextChoices):
    PUPIL = "leerling", _("Leerling")
    PARENTS = "ouders", _("Ouder(s) of verzorger(s)")
    PUPIL_AND_PARENTS = "leerling_en_ouders", _("Leerling en ouder(s)")
    SCHOOL = "school", _("School")
    PARTNER = "ketenpartner", _("Ketenpartner of hulpverlener")


# Who counts as "the pupil being heard" for the age rule.
WITH_PUPIL = frozenset({ContactWith.PUPIL, ContactWith.PUPIL_AND_PARENTS})


class Channel(models.TextChoices):
    IN_PERSON = "face_to_face", _("Face-to-face")
    PHONE = "telefoon", _("Telefoon")
    VIDEO = "video", _("Videobellen")
    WRITTEN = "schriftelijk", _("Brief of e-mail")

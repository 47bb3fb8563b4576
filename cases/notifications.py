"""E-mail to professionals. Never any name or other personal data of the child: only a link."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Assignment


def send_assignment_mail(assignment_id: int) -> None:
    """Tell the newly assigned professional there is a case for them, with a link to it."""
    assignment = Assignment.objects.select_related("professional__user").get(pk=assignment_id)
    user = assignment.professional.user
    if not user.email:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("cases:case_detail", args=[assignment.case_id])
    with translation.override(settings.LANGUAGE_CODE):
        subject = (
            _("Ketenkameleon: een zaak is aan je overgedragen")
            if assignment.is_handover
            else _("Ketenkameleon: een nieuwe zaak voor jou")
        )
        body = _(
            "Beste %(name)s,\n\nEr is een zaak aan je toegewezen in Ketenkameleon. Log in om de "
            "zaak te openen:\n\n%(link)s\n\nDeze e-mail bevat bewust geen gegevens over het kind."
        ) % {"name": user.first_name or user.get_username(), "link": link}
    send_mail(subject, body, None, [user.email])

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluatie")

    def ready(self) -> None:
        # Case events of the earlier cases app, handled in the sender's transaction
        # (evaluation/reactions.py).
        from cases import events

        from . import reactions

        events.referral_registered.connect(
            reactions.on_referral_registered, dispatch_uid="kk_evaluation_referral_registered"
        )
        events.referrals_imported.connect(
            reactions.on_referrals_imported, dispatch_uid="kk_evaluation_referrals_imported"
        )
        events.case_closed.connect(
            reactions.on_case_closed, dispatch_uid="kk_evaluation_case_closed"
        )
        events.cases_anonymising.connect(
            reactions.on_cases_anonymising, dispatch_uid="kk_evaluation_cases_anonymising"
        )

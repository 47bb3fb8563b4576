"""Render time of every letter (issue 16: ≤ 1 s), best of five after a warm-up render.

    ENV_FILE=.env.demo .venv/bin/python benchmarks/letters.py

Builds a throw-away test database (SQLite unless DATABASE_URL says otherwise), one case with a
guardian and a letterhead, and renders each letter to PDF with WeasyPrint.
"""

import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
os.environ.setdefault("ENV_FILE", ".env.demo")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from cases.constants import LetterKind
    from cases.letters import (
        LetterRequest,
        case_guardians,
        letter_context,
        render_letter_html,
        render_letter_pdf,
    )
    from professionals.models import Letterhead
    from roles.constants import ChainRole
    from tests.factories import CaseFactory, GuardianFactory, ProfessionalFactory

    professional = ProfessionalFactory(bip=True)
    Letterhead.objects.create(
        organisation=professional.organisation,
        heading="Gemeente Haarlem\nAfdeling Leerplicht",
        return_address="Postbus 511, 2003 PB Haarlem",
        signatory_name="M. de Wit",
        signatory_title="Teamleider Leerplicht",
        footer="023 511 5115",
    )
    case = CaseFactory(professional=professional)
    GuardianFactory(child=case.child, name="Anna Jansen", has_custody=True)
    for letter in LetterKind:
        request = LetterRequest(
            letter=letter,
            role=ChainRole.LEERPLICHT,
            appointment_on=timezone.localdate() + datetime.timedelta(days=1),
            appointment_time=datetime.time(10, 30),
            location="Stadhuis",
        )
        context = letter_context(
            case=case,
            professional=professional,
            request=request,
            guardians=case_guardians(case),
            today=timezone.localdate(),
        )
        render_letter_pdf(render_letter_html(context, language="nl", document=True))
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            render_letter_pdf(render_letter_html(context, language="nl", document=True))
            timings.append(time.perf_counter() - started)
        print(f"{letter.value:<20} best {min(timings):.3f} s, median {sorted(timings)[2]:.3f} s")


if __name__ == "__main__":
    main()

"""Issue 14 item 18: dates in Dutch style, "2 mrt. 2026", not "2 Mar 2026".

Templates write a date with `|date` (DATE_FORMAT) or `|date:"DATETIME_FORMAT"`, whose Dutch
form is bip/formats/nl/formats.py; a fixed "j M Y" gives English month names.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import CaseFactory, ContactFactory

# Being reworked by other parts of issue 14 at the time of writing (report and export pages,
# the case list); each drops its "j M Y" there.
NOT_YET = {"evaluation/", "cases/case_list.html"}
# A date as "j M Y" writes it in English ("2 Mar 2026"); a name such as "Marit" is no date.
ENGLISH_DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def test_no_template_writes_a_fixed_english_date():
    root = Path(settings.BASE_DIR) / "templates"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if 'date:"j M Y' in path.read_text()
        and not any(str(path.relative_to(root)).startswith(skip) for skip in NOT_YET)
    ]
    assert offenders == []


@pytest.mark.django_db
def test_closed_cases_show_dutch_dates(client, professional):
    case = CaseFactory(
        professional=professional,
        date_received=datetime.date(2026, 3, 2),
        period_start=datetime.date(2026, 2, 2),
        period_end=datetime.date(2026, 2, 27),
        closed=True,
    )
    client.force_login(professional.user)
    row = client.get(reverse("cases:my_closed_cases")).text.split(f'id="case-{case.pk}"')[1]
    row = row[: row.index("</tr>")]
    assert "2 mrt. 2026" in row
    assert ENGLISH_DATE.search(row) is None


@pytest.mark.django_db
def test_the_timeline_shows_dutch_dates_and_times(client, professional):
    case = CaseFactory(professional=professional)
    ContactFactory(
        case=case,
        occurred_at=datetime.datetime(2026, 10, 5, 9, 30, tzinfo=datetime.UTC),
        follow_up_on=datetime.date(2026, 10, 12),
        summary="Gesprek met de ouders",
    )
    client.force_login(professional.user)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).text
    assert "5 okt. 2026 11:30" in html  # Europe/Amsterdam, summer time
    assert "vervolg op 12 okt. 2026" in html
    assert ENGLISH_DATE.search(html) is None

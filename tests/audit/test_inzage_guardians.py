"""The inzage lists the household's guardians (issue 16 §1): shared by the household, so also
one first recorded in a sibling's file, with everything held about them."""

import json

import pytest
from django.urls import reverse

from audit import inzage
from tests.factories import ChildFactory, GuardianFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture
def family():
    child = ChildFactory(first_name="Noor")
    sibling = ChildFactory(household=child.household)
    father = GuardianFactory(
        child=sibling,  # first recorded in the sibling's file
        name="Ahmed Bakker",
        relation="vader",
        has_custody=True,
        phone="+31612345678",
        email="a.bakker@example.nl",
        street="Zijlweg 12",
        postcode="2013 DK",
        city="Haarlem",
        preferred_language="en",
    )
    grandmother = GuardianFactory(
        child=child, name="Els Visser", relation="anders", has_custody=False, email=""
    )
    stranger = GuardianFactory(name="Karin Smit", phone="+31699999999")
    return {"child": child, "father": father, "grandmother": grandmother, "stranger": stranger}


def test_the_file_lists_the_households_guardians_with_every_field(family):
    child_file = inzage.child_file(family["child"].pk)

    assert [guardian["name"] for guardian in child_file["guardians"]] == [
        "Ahmed Bakker",  # custody first
        "Els Visser",
    ]
    father = child_file["guardians"][0]
    assert father == {
        "name": "Ahmed Bakker",
        "relation": "Vader",
        "has_custody": True,
        "phone": "+31612345678",
        "email": "a.bakker@example.nl",
        "street": "Zijlweg 12",
        "postcode": "2013 DK",
        "city": "Haarlem",
        "preferred_language": "Engels",
    }
    grandmother = child_file["guardians"][1]
    assert (grandmother["has_custody"], grandmother["email"], grandmother["street"]) == (
        False,
        None,
        None,
    )


def test_the_change_history_covers_a_guardian_recorded_with_a_sibling(family):
    child_file = inzage.child_file(family["child"].pk)

    guardian_ids = {
        entry["object_id"]
        for entry in child_file["change_history"]
        if entry["model"] == "ouder of verzorger"
    }
    assert str(family["father"].pk) in guardian_ids
    assert str(family["stranger"].pk) not in guardian_ids


def test_the_page_and_the_download_show_them(admin_client, family):
    child = family["child"]

    page = admin_client.get(reverse("audit:inzage", args=[child.pk])).text
    download = admin_client.get(reverse("audit:inzage_json", args=[child.pk]))

    for text in ("Ahmed Bakker", "+31612345678", "Zijlweg 12", "Engels", "Voorkeurstaal"):
        assert text.lower() in page.lower(), text
    assert "Karin Smit" not in page and "+31699999999" not in page
    data = json.loads(download.content)
    assert data["guardians"][0]["preferred_language"] == "Engels"
    assert "Karin Smit" not in download.content.decode()

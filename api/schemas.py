"""The JSON shapes of the API (pydantic, through django-ninja): what the OpenAPI document shows.

A referral has the columns of the CSV import, with JSON types: ISO dates, whole numbers. Unknown
fields are refused. Everything else (formats, 11-proef, BRIN, ages, periods, duplicates) is
checked by the import's own code, so the API and the CSV accept and refuse the same referrals.
"""

import datetime
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StrictInt, StrictStr

from .constants import MAX_BATCH, ReferralStatus

Text = Annotated[StrictStr, Field(max_length=1000)]
Count = Annotated[StrictInt, Field(ge=0, le=100_000)]


class ReferralIn(Schema):
    """One verzuimmelding, as a school package or DUO relay sends it."""

    model_config = ConfigDict(extra="forbid")

    meldingsdatum: datetime.date = Field(description="Datum waarop de melding is gedaan.")
    bsn: Text | None = Field(None, description="BSN (negen cijfers, 11-proef).")
    onderwijsnummer: Text | None = Field(None, description="Alleen voor leerlingen zonder BSN.")
    tussenvoegsel: Text | None = Field(None, description="Bijvoorbeeld 'de' of 'van der'.")
    achternaam: Text
    voornamen: Text
    geboortedatum: datetime.date
    brin: Text | None = Field(
        None, description="BRIN van de school; leeg alleen bij absoluut verzuim."
    )
    soort_verzuim: Text = Field(description="Soort verzuim, bijvoorbeeld 'relatief' of 'absoluut'.")
    verzuim_vanaf: datetime.date
    verzuim_tot_en_met: datetime.date
    uren_verzuim: Count = 0
    keer_te_laat: Count = 0
    straat: Text | None = Field(None, description="Alleen nodig voor een nieuw kind.")
    postcode: Text | None = None
    plaats: Text | None = None


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    meldingen: list[ReferralIn] = Field(min_length=1, max_length=MAX_BATCH)


class ReferralOut(Schema):
    referentie: str = Field(description="De meldingsreferentie, voor de status.")
    status: ReferralStatus


class BatchOut(Schema):
    meldingen: list[ReferralOut]


class StatusOut(Schema):
    referentie: str
    status: ReferralStatus
    gewijzigd_op: datetime.date = Field(description="Datum van de laatste statuswijziging.")
    reden_afsluiting: str | None = Field(
        None, description="Categorie van de afsluiting; alleen bij status 'afgesloten'."
    )


class StatusPage(Schema):
    meldingen: list[StatusOut]
    volgende: str | None = Field(None, description="Cursor voor de volgende pagina, of null.")


class FieldProblem(Schema):
    field: str | None = None
    detail: str
    index: int | None = Field(
        None, description="Bij een batch: de positie van de melding (0 = eerste)."
    )


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []
    referentie: str | None = Field(
        None, description="Bij een dubbele melding: de bestaande referentie."
    )

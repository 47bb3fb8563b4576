"""Pseudonyms for research exports: HMAC-SHA256 keyed with a per-study secret.

pseudonym = hex(HMAC-SHA256(key=RESEARCH_PSEUDONYM_KEY, msg=f"{STUDY_ID}:{kind}:{id}"))[:16]

- The key lives in the environment, never in the database, so whoever holds an export and the
  database cannot recompute the link without the key (ENISA: keyed hashing, key kept apart).
- The same child (or case, or professional) gets the same pseudonym in every export of one study;
  with another study id or key the pseudonyms share nothing, so studies cannot be linked.
- The kind is part of the message, so a child and a case with the same database id get
  unrelated pseudonyms.
- 16 hex characters are 64 bits. Among n pseudonyms of one kind the chance that any two collide
  is about n^2 / 2^65: 2.7e-8 for a million children, 2.7e-6 for ten million contacts' cases.
"""

import hashlib
import hmac
from typing import overload

from django.conf import settings
from django.utils.translation import gettext as _

PSEUDONYM_HEX_CHARS = 16

CHILD = "child"
CASE = "case"
PROFESSIONAL = "professional"
RESPONSE = "response"


class PseudonymKeyMissing(Exception):
    """No pseudonym key is configured: an export must not run without one."""

    def __init__(self):
        super().__init__(
            _(
                "Er is geen sleutel voor pseudoniemen ingesteld (RESEARCH_PSEUDONYM_KEY). "
                "Vraag de beheerder die in te stellen."
            )
        )


class Pseudonymiser:
    """Computes pseudonyms for one study and key; reuse one instance for a whole export."""

    def __init__(self, *, key: str | None = None, study_id: str | None = None):
        key = settings.RESEARCH_PSEUDONYM_KEY if key is None else key
        if not key:
            raise PseudonymKeyMissing
        self.study_id = settings.STUDY_ID if study_id is None else study_id
        # Keying HMAC once and copying it per value is about twice as fast as hmac.new per value.
        self._keyed = hmac.new(key.encode(), digestmod=hashlib.sha256)

    @overload
    def __call__(self, kind: str, identifier: int | str) -> str: ...
    @overload
    def __call__(self, kind: str, identifier: None) -> None: ...
    def __call__(self, kind: str, identifier: int | str | None) -> str | None:
        if identifier is None:
            return None
        mac = self._keyed.copy()
        mac.update(f"{self.study_id}:{kind}:{identifier}".encode())
        return mac.hexdigest()[:PSEUDONYM_HEX_CHARS]


def pseudonym(kind: str, identifier: int | str) -> str:
    """One pseudonym with the configured key and study id."""
    return Pseudonymiser()(kind, identifier)

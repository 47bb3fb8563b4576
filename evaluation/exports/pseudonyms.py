"""Pseudonyms for research exports: HMAC-SHA256 keyed with a per-study secret.

pseudonym = hex(HMAC-SHA256(key=RESEARCH_PSEUDONYM_KEY, msg=f"{STUDY_ID}:{kind}:{id}"))[:16]

for the child, the case, the professional and the survey response (`id` is the database id,
not the case number, which is personal data on letters). The cluster kinds added later (school,
household) each use their own key, derived from the study key:

key(kind) = HMAC-SHA256(key=RESEARCH_PSEUDONYM_KEY, msg=f"pseudonym-key:{kind}")
pseudonym = hex(HMAC-SHA256(key=key(kind), msg=f"{STUDY_ID}:{kind}:{id}"))[:16]

so a school's pseudonym and a household's share no key with each other or with the person
pseudonyms, while the existing kinds keep the pseudonyms of earlier exports of the study.

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
from collections.abc import Callable
from typing import overload

from django.conf import settings
from django.utils.translation import gettext as _

PSEUDONYM_HEX_CHARS = 16

CHILD = "child"
CASE = "case"
PROFESSIONAL = "professional"
RESPONSE = "response"
SCHOOL = "school"
HOUSEHOLD = "household"
# Kinds whose HMAC key is derived per kind from the study key (see above).
DERIVED_KEY_KINDS = (SCHOOL, HOUSEHOLD)
# Kinds with few subjects that recur in many rows: their pseudonyms are remembered.
REMEMBERED_KINDS = (SCHOOL, PROFESSIONAL)


class PseudonymKeyMissing(Exception):
    """No pseudonym key is configured: an export must not run without one."""

    def __init__(self) -> None:
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
        # HMAC(key, msg) = H(key ^ opad, H(key ^ ipad, msg)). The pads of each key are made
        # once; `of_kind` keys both hash states once and copies them per value: about twice as
        # fast as hmac.new per value (no Python wrapper per call).
        self._key_pads: dict[str | None, tuple[bytes, bytes]] = {None: _hmac_pads(key.encode())}
        for kind in DERIVED_KEY_KINDS:
            self._key_pads[kind] = _hmac_pads(
                hmac.digest(key.encode(), f"pseudonym-key:{kind}".encode(), "sha256")
            )
        # One function per kind, made on first use (see `of_kind`).
        self._of_kind: dict[str, Callable[[int | str | None], str | None]] = {}

    @overload
    def __call__(self, kind: str, identifier: int | str) -> str: ...
    @overload
    def __call__(self, kind: str, identifier: None) -> None: ...
    def __call__(self, kind: str, identifier: int | str | None) -> str | None:
        return self.of_kind(kind)(identifier)

    def pads(self, kind: str) -> tuple[bytes, bytes]:
        """The HMAC inner and outer pads of the key that `kind` is hashed with: with them
        HMAC(key, msg) = SHA-256(outer + SHA-256(inner + msg)). Secret like the key:
        never sent to the database."""
        return self._key_pads.get(kind) or self._key_pads[None]

    def of_kind(self, kind: str) -> Callable[[int | str | None], str | None]:
        """The pseudonym function of one kind. An export's rows call it millions of times,
        so it binds everything it can once: the keyed hash states, their copy methods and the
        message prefix. Schools and professionals are few and recur in every row: their
        function remembers what it computed. No subject (None) has no pseudonym (None)."""
        made = self._of_kind.get(kind)
        if made is not None:
            return made
        inner_pad, outer_pad = self.pads(kind)
        copy_inner = hashlib.sha256(inner_pad).copy
        copy_outer = hashlib.sha256(outer_pad).copy
        prefix = f"{self.study_id}:{kind}:"

        def compute(identifier: int | str | None) -> str | None:
            if identifier is None:
                return None
            hashed = copy_inner()
            hashed.update(f"{prefix}{identifier}".encode())
            keyed = copy_outer()
            keyed.update(hashed.digest())
            return keyed.hexdigest()[:PSEUDONYM_HEX_CHARS]

        if kind in REMEMBERED_KINDS:
            remembered: dict[int | str, str | None] = {}

            def remembering(identifier: int | str | None) -> str | None:
                if identifier is None:
                    return None
                known = remembered.get(identifier)
                if known is None:
                    known = remembered[identifier] = compute(identifier)
                return known

            made = remembering
        else:
            made = compute
        self._of_kind[kind] = made
        return made


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The HMAC inner and outer pads of `key` (RFC 2104): the key, hashed when longer than a
    SHA-256 block and padded to one, XOR 0x36 and XOR 0x5C."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return bytes(byte ^ 0x36 for byte in key), bytes(byte ^ 0x5C for byte in key)


def pseudonym(kind: str, identifier: int | str) -> str:
    """One pseudonym with the configured key and study id."""
    return Pseudonymiser()(kind, identifier)

"""Pseudonyms: keyed HMAC-SHA256, stable within a study, unlinkable across studies and keys."""

import hashlib
import hmac

import pytest

from evaluation.exports.pseudonyms import (
    CASE,
    CHILD,
    DERIVED_KEY_KINDS,
    HOUSEHOLD,
    PROFESSIONAL,
    PSEUDONYM_HEX_CHARS,
    RESPONSE,
    SCHOOL,
    Pseudonymiser,
    PseudonymKeyMissing,
    pseudonym,
)

from .conftest import PSEUDONYM_KEY


def test_pseudonym_is_truncated_hmac_sha256_of_study_kind_and_id():
    expected = hmac.new(PSEUDONYM_KEY.encode(), b"bip-test:child:42", hashlib.sha256).hexdigest()
    assert pseudonym(CHILD, 42) == expected[:PSEUDONYM_HEX_CHARS]
    assert len(pseudonym(CHILD, 42)) == 16


def test_same_id_same_pseudonym_within_a_study():
    first, second = Pseudonymiser(), Pseudonymiser()
    assert first(CHILD, 7) == second(CHILD, 7) == pseudonym(CHILD, 7)
    assert first(CHILD, 7) != first(CHILD, 8)


def test_kind_is_part_of_the_pseudonym():
    assert pseudonym(CHILD, 7) != pseudonym(CASE, 7)


def test_other_study_or_key_gives_unrelated_pseudonyms(settings):
    ours = pseudonym(CHILD, 7)
    assert Pseudonymiser(study_id="andere-studie")(CHILD, 7) != ours
    assert Pseudonymiser(key="another-key-of-more-than-32-characters!!")(CHILD, 7) != ours
    settings.RESEARCH_PSEUDONYM_KEY = "another-key-of-more-than-32-characters!!"
    assert pseudonym(CHILD, 7) != ours


def test_pseudonym_does_not_contain_the_id_or_its_plain_hash():
    value = pseudonym(CHILD, 123456789)
    assert "123456789" not in value
    assert value != hashlib.sha256(b"bip-test:child:123456789").hexdigest()[:16]


def test_none_stays_none():
    pseudonymise = Pseudonymiser()
    for kind in (CHILD, CASE, PROFESSIONAL, RESPONSE, SCHOOL, HOUSEHOLD):
        assert pseudonymise(kind, None) is None
        assert pseudonymise.of_kind(kind)(None) is None


def test_missing_key_refuses(settings):
    settings.RESEARCH_PSEUDONYM_KEY = ""
    with pytest.raises(PseudonymKeyMissing, match="RESEARCH_PSEUDONYM_KEY"):
        Pseudonymiser()


@pytest.mark.parametrize("key", ["short key", "k" * 100, PSEUDONYM_KEY])
def test_the_precomputed_pads_give_exactly_hmac_for_every_kind(key):
    pseudonymise = Pseudonymiser(key=key, study_id="bip-test")
    for kind in (CHILD, CASE, PROFESSIONAL, RESPONSE, SCHOOL, HOUSEHOLD):
        hmac_key = (
            hmac.digest(key.encode(), f"pseudonym-key:{kind}".encode(), "sha256")
            if kind in DERIVED_KEY_KINDS
            else key.encode()
        )
        for identifier in (1, 42, 10**12, "abc"):
            expected = hmac.new(hmac_key, f"bip-test:{kind}:{identifier}".encode(), "sha256")
            # Twice: the remembered school and professional pseudonyms stay the same. The
            # function of the kind, which the exports' rows call, gives the same.
            assert pseudonymise(kind, identifier) == expected.hexdigest()[:16]
            assert pseudonymise(kind, identifier) == expected.hexdigest()[:16]
            assert pseudonymise.of_kind(kind)(identifier) == expected.hexdigest()[:16]

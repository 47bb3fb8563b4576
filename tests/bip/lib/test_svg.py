from django.utils import translation

from bip.lib.svg import units


def test_a_coordinate_has_one_decimal_and_a_point_in_every_language():
    for language in ("nl", "en"):
        with translation.override(language):
            assert units(12) == "12.0"
            assert units(1 / 3) == "0.3"
            assert units(-2.25) == "-2.2"

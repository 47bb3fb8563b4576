"""Date formats in Dutch style, "2 dec. 2026", through Django's locale format modules
(FORMAT_MODULE_PATH in bip/settings.py): bip/formats/<language>/formats.py.

Django's `N` format letter writes a month's abbreviation, but its Dutch catalogue drops the
full stop ("dec"). The abbreviations below are the Taalunie's, with a Dutch msgid and an English
translation ("Dec."), and replace Django's at start-up (bip/apps.py).
"""

from django.utils import dates
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

MONTH_ABBREVIATIONS: dict[int, Promise] = {
    1: pgettext_lazy("afgekorte maand", "jan."),
    2: pgettext_lazy("afgekorte maand", "feb."),
    3: pgettext_lazy("afgekorte maand", "mrt."),
    4: pgettext_lazy("afgekorte maand", "apr."),
    5: pgettext_lazy("afgekorte maand", "mei"),
    6: pgettext_lazy("afgekorte maand", "jun."),
    7: pgettext_lazy("afgekorte maand", "jul."),
    8: pgettext_lazy("afgekorte maand", "aug."),
    9: pgettext_lazy("afgekorte maand", "sep."),
    10: pgettext_lazy("afgekorte maand", "okt."),
    11: pgettext_lazy("afgekorte maand", "nov."),
    12: pgettext_lazy("afgekorte maand", "dec."),
}


def install_month_abbreviations() -> None:
    """Let the `N` format letter write these abbreviations (in place: dateformat holds the
    same dict)."""
    # Django's stubs type these dicts' values as str; they are lazy strings, as ours.
    dates.MONTHS_AP.update(MONTH_ABBREVIATIONS)  # type: ignore[arg-type]

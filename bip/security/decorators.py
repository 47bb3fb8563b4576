from collections.abc import Callable

# The view attribute MFARequiredMiddleware reads, as LoginRequiredMiddleware reads
# `login_required`.
MFA_REQUIRED_ATTRIBUTE = "mfa_required"


def mfa_not_required[V: Callable[..., object]](view_func: V) -> V:
    """Mark a view as reachable by a logged-in user who has not passed the second factor yet.

    For the MFA pages themselves and logout. Views marked `login_not_required` (login,
    language switch, public survey pages) are exempt as well, without this decorator.
    """
    setattr(view_func, MFA_REQUIRED_ATTRIBUTE, False)
    return view_func

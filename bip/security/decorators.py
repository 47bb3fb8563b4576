def mfa_not_required(view_func):
    """Mark a view as reachable by a logged-in user who has not passed the second factor yet.

    For the MFA pages themselves and logout. Views marked `login_not_required` (login,
    language switch, public survey pages) are exempt as well, without this decorator.
    """
    view_func.mfa_required = False
    return view_func

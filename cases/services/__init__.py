"""Writes for cases. Every service is atomic and writes its history row in the same transaction.

Services take keyword-only arguments, lock the rows two people could race on, and raise the
domain errors of cases/exceptions.py with messages a user can read.
"""

from .assignments import case_assign
from .contacts import contact_log
from .numbers import case_numbers_reserve
from .plans import (
    plan_action_add,
    plan_action_change,
    plan_action_set_done,
    plan_goal_add,
    plan_goal_change,
)
from .referrals import child_register, household_register, referral_register
from .stages import (
    case_close,
    case_halt_result,
    case_refer_to_halt,
    case_refer_to_rvdk,
    case_reopen,
)

__all__ = [
    "case_assign",
    "case_close",
    "case_halt_result",
    "case_numbers_reserve",
    "case_refer_to_halt",
    "case_refer_to_rvdk",
    "case_reopen",
    "child_register",
    "household_register",
    "referral_register",
    "contact_log",
    "plan_action_add",
    "plan_action_change",
    "plan_action_set_done",
    "plan_goal_add",
    "plan_goal_change",
]

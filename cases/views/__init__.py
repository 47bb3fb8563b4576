from .contacts import contact_create
from .detail import case_detail
from .lists import case_list, my_cases
from .plans import plan_action_create, plan_action_done, plan_goal_create
from .stages import (
    case_close,
    case_halt_result,
    case_refer_to_halt,
    case_refer_to_rvdk,
    case_reopen,
)

__all__ = [
    "case_close",
    "case_detail",
    "case_halt_result",
    "case_list",
    "case_refer_to_halt",
    "case_refer_to_rvdk",
    "case_reopen",
    "contact_create",
    "my_cases",
    "plan_action_create",
    "plan_action_done",
    "plan_goal_create",
]

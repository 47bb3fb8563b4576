from .contacts import contact_create
from .coordination import assign, intake, queue
from .dashboard import dashboard
from .detail import case_detail
from .imports import import_cancel, import_confirm, import_preview, import_upload
from .lists import case_list, my_cases
from .plans import (
    plan_action_create,
    plan_action_done,
    plan_action_edit,
    plan_goal_create,
    plan_goal_edit,
)
from .stages import (
    case_close,
    case_halt_result,
    case_refer_to_halt,
    case_refer_to_rvdk,
    case_reopen,
)

__all__ = [
    "assign",
    "intake",
    "queue",
    "case_close",
    "case_detail",
    "case_halt_result",
    "case_list",
    "case_refer_to_halt",
    "case_refer_to_rvdk",
    "case_reopen",
    "contact_create",
    "dashboard",
    "import_cancel",
    "import_confirm",
    "import_preview",
    "import_upload",
    "my_cases",
    "plan_action_create",
    "plan_action_done",
    "plan_action_edit",
    "plan_goal_create",
    "plan_goal_edit",
]

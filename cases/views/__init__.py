from .casefile import case_print, my_closed_cases, school_lookup
from .contacts import contact_create
from .coordination import assign, intake, queue
from .corrections import contact_correction, contact_withdrawal
from .dashboard import dashboard
from .detail import case_detail, case_timeline
from .guardians import guardian_edit, guardians
from .imports import (
    import_cancel,
    import_confirm,
    import_preview,
    import_template,
    import_upload,
)
from .lists import case_list, my_cases, professional_lookup
from .meldingen import melding_create
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
    "case_timeline",
    "case_halt_result",
    "case_list",
    "professional_lookup",
    "case_refer_to_halt",
    "case_refer_to_rvdk",
    "case_reopen",
    "contact_create",
    "contact_correction",
    "contact_withdrawal",
    "case_print",
    "guardian_edit",
    "guardians",
    "my_closed_cases",
    "school_lookup",
    "dashboard",
    "import_cancel",
    "import_confirm",
    "import_preview",
    "import_template",
    "import_upload",
    "melding_create",
    "my_cases",
    "plan_action_create",
    "plan_action_done",
    "plan_action_edit",
    "plan_goal_create",
    "plan_goal_edit",
]

"""Events about cases that later apps react to (the list, in one place).

cases comes before evaluation in the dependency order (roles -> professionals -> cases ->
evaluation -> audit), so it never calls evaluation: it sends these signals and evaluation
connects its receivers in `evaluation/apps.py` (`evaluation/reactions.py`).

Every signal is sent inside the sender's transaction, so a receiver that writes joins it: the
write succeeds or fails with the change (`send`, not `send_robust`: a receiver's error rolls
the change back). A receiver with a side effect outside the database (a mail) defers it with
`transaction.on_commit`.
"""

from django.dispatch import Signal

# A referral was registered: the case row and its initial stage change exist, in the open
# registration transaction. Receivers that refuse raise a domain error; nothing is saved then.
# Arguments: case, actor. (evaluation: allocates the case to a study arm by block random.)
referral_registered = Signal()

# A bulk import created cases with bulk_create (no post_save), in the open confirm transaction.
# Arguments: cases (saved, in file order), actor. Receivers may set fields on the instances
# (the sender writes the change history after the signal, from the instances).
# (evaluation: draws the arms in file order and stores the allocations in bulk.)
referrals_imported = Signal()

# A case was closed (Leerplicht/RvdK outcome, or a positive Halt result), in the open close
# transaction, after its status and version are written.
# Arguments: case (locked), actor. (evaluation: the client survey invitations; mail on commit.)
case_closed = Signal()

# The retention run is anonymising the cases `case_ids` (dry run when apply is False), in the
# open chunk transaction. Each receiver returns {count name: rows changed (or to change)}; the
# run adds them to its counts. Arguments: case_ids, apply.
# (evaluation: blanks the free-text comments of the cases' survey responses.)
cases_anonymising = Signal()

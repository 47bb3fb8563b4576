"""Row locking and optimistic concurrency for case writes."""

from ..exceptions import ConcurrentEdit
from ..models import Case


def lock_case(case: Case, *, expected_version: int | None) -> Case:
    """Lock the case row for this transaction and check nobody changed it in between.

    `expected_version` is the version the user saw when they opened the form; None skips the
    check (for system writes). Must be called inside transaction.atomic().
    """
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join
    # (professional is nullable), and only the case row needs the lock.
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("child", "professional__organisation", "professional__user")
        .get(pk=case.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEdit
    return locked


def bump_version(case: Case, *fields: str) -> None:
    case.version += 1
    case.save(update_fields=["version", "updated_at", *fields])

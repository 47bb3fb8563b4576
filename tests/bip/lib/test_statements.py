"""bip.lib.statements.CompiledQuery: compiled once, run with new values, same answers."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.db.models import Q

from bip.lib.statements import CompiledQuery, PlaceholderError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NO_USER = -7_345_129
NO_DAY = datetime.date(1901, 2, 3)


def joined_on_or_before(user_id: int, day: datetime.date):
    return User.objects.filter(pk=user_id, date_joined__date__lte=day).values_list("username")


def test_each_call_runs_with_its_own_values_and_answers_as_the_orm():
    users = [
        UserFactory(
            username=f"u{n}", date_joined=datetime.datetime(2026, 3, n, 12, tzinfo=datetime.UTC)
        )
        for n in (1, 5, 9)
    ]
    query = CompiledQuery(joined_on_or_before, user_id=NO_USER, day=NO_DAY)

    for user in users:
        for day in (
            datetime.date(2026, 3, 4),
            datetime.date(2026, 3, 5),
            datetime.date(2026, 3, 31),
        ):
            assert (
                query.fetchone(user_id=user.pk, day=day)
                == joined_on_or_before(user.pk, day).first()
            )
    assert query.fetchone(user_id=users[0].pk, day=datetime.date(2026, 3, 31)) == ("u1",)
    assert query.fetchone(user_id=users[2].pk, day=datetime.date(2026, 3, 8)) is None


def test_the_queryset_is_built_once_per_database():
    built = []

    def build(user_id):
        built.append(user_id)
        return User.objects.filter(pk=user_id).values_list("pk")

    query = CompiledQuery(build, user_id=NO_USER)
    user = UserFactory()
    for _ in range(3):
        assert query.fetchone(user_id=user.pk) == (user.pk,)

    assert built == [NO_USER]


def test_a_placeholder_used_twice_takes_the_value_in_both_places():
    user = UserFactory(username="tweemaal")
    query = CompiledQuery(
        lambda user_id: User.objects.filter(Q(pk=user_id) & Q(pk__gte=user_id)).values_list(
            "username"
        ),
        user_id=NO_USER,
    )

    assert query.sql().count("%s") == 2
    assert query.fetchone(user_id=user.pk) == ("tweemaal",)


def test_a_placeholder_the_query_does_not_use_is_refused():
    query = CompiledQuery(
        lambda user_id, day: User.objects.filter(pk=user_id).values_list("pk"),
        user_id=NO_USER,
        day=NO_DAY,
    )

    with pytest.raises(PlaceholderError, match="day"):
        query.fetchone(user_id=1, day=datetime.date(2026, 1, 1))


def test_fetchall_gives_every_row_in_the_query_order():
    for name in ("anna", "bram", "cor"):
        UserFactory(username=name)
    query = CompiledQuery(
        lambda prefix: (
            User.objects.filter(username__gte=prefix).order_by("-username").values_list("username")
        ),
        prefix="placeholder-prefix",
    )

    assert query.fetchall(prefix="b") == [("cor",), ("bram",)]
    assert query.fetchall(prefix="d") == []

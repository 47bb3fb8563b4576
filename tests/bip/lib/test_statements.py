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


def test_instances_are_the_querysets_own_with_converted_values_and_annotations():
    from django.db.models import Count

    user = UserFactory(
        username="volledig",
        is_staff=True,
        last_login=datetime.datetime(2026, 3, 2, 9, 15, tzinfo=datetime.UTC),
        date_joined=datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC),
        coordinator=True,
    )

    def build(user_id):
        return User.objects.annotate(group_count=Count("groups")).filter(pk=user_id)

    [loaded] = CompiledQuery(build, user_id=NO_USER).instances(user_id=user.pk)
    [expected] = build(user.pk)

    assert isinstance(loaded, User)
    assert loaded.pk == user.pk
    for field in ("username", "is_staff", "is_active", "last_login", "date_joined", "password"):
        assert getattr(loaded, field) == getattr(expected, field), field
    assert loaded.is_staff is True  # a bool, not SQLite's 1
    assert loaded.last_login == datetime.datetime(2026, 3, 2, 9, 15, tzinfo=datetime.UTC)
    assert loaded.group_count == expected.group_count == 1
    assert loaded._state.adding is False  # loaded from the database: save() updates
    assert CompiledQuery(build, user_id=NO_USER).instances(user_id=NO_USER) == []


def test_instances_need_a_queryset_of_instances():
    query = CompiledQuery(
        lambda user_id: User.objects.filter(pk=user_id).values_list("pk"), user_id=NO_USER
    )

    with pytest.raises(TypeError, match="model instances"):
        query.instances(user_id=1)

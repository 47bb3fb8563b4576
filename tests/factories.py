"""factory-boy factories with traits per state.

Examples: CaseFactory(closed=True), ProfessionalFactory(bip=True), ContactFactory(verhoor=True).
"""

import datetime
import hashlib
import secrets
from contextvars import ContextVar

import factory
from auditlog.context import disable_auditlog
from django.contrib.auth.models import Group, User
from django.utils import timezone
from stdnum.nl import bsn as stdnum_bsn

from cases.constants import (
    AssignmentReason,
    CaseStatus,
    MeldingType,
    OutcomeCategory,
    PlanOwner,
    SchoolLevel,
    Stage,
)
from cases.models import (
    Assignment,
    Case,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdPlan,
    Outcome,
    PlanAction,
    PlanGoal,
    School,
    StageChange,
)
from evaluation.constants import AllocationMethod, Arm, RespondentType
from evaluation.models import Allocation, SurveyInvitation
from professionals.constants import StaffGroup
from professionals.models import Organisation, Professional, Qualification
from roles.constants import ChainRole, Channel, ContactKind, ContactWith

DEMO_PASSWORD = "ketenkameleon-demo"


def valid_bsn(n: int) -> str:
    """The n-th valid BSN: 8 digits plus the check digit that passes the 11-proef."""
    base = 10_000_000 + n * 7
    while True:
        digits = f"{base:08d}"
        for check in range(10):
            candidate = digits + str(check)
            if stdnum_bsn.is_valid(candidate):
                return candidate
        base += 1


def valid_brin(n: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    return f"{n % 100:02d}{letters[(n // 100) % len(letters)]}{letters[n % len(letters)]}"


# Whether factory rows write change-history entries (django-auditlog); see ModelFactory.
record_factory_history: ContextVar[bool] = ContextVar("record_factory_history", default=False)


class ModelFactory(factory.django.DjangoModelFactory):
    """The base of every factory: a factory row is scaffolding, not somebody's change.

    It writes no change-history entry (django-auditlog), so a test pays only for the history its
    own actions write through the services: about a tenth of the suite's time went to entries
    for rows no test looked at. A test module that reads the change history (the history
    itself, inzage, retention, the admin) is marked `pytest.mark.factory_history`, which turns
    the entries back on for its factory rows (tests/conftest.py); tests/test_factories.py fails
    on a module that mentions the history without the marker, so no assertion that a history
    entry is absent can pass only because the factory never wrote one.
    """

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        if record_factory_history.get():
            return super()._generate(strategy, params)
        with disable_auditlog():
            return super()._generate(strategy, params)


class UserFactory(ModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"gebruiker{n}")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nl")
    password = factory.django.Password(DEMO_PASSWORD)

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        """UserFactory(group=StaffGroup.X); the traits pass it as group__name."""
        name = extracted or kwargs.get("name")
        if create and name:
            self.groups.add(Group.objects.get(name=name))

    class Params:
        coordinator = factory.Trait(group__name=StaffGroup.COORDINATOR)
        researcher = factory.Trait(group__name=StaffGroup.RESEARCHER)
        administrator = factory.Trait(group__name=StaffGroup.ADMINISTRATOR, is_staff=True)


class OrganisationFactory(ModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    kind = ChainRole.LEERPLICHT
    name = factory.LazyAttribute(lambda o: f"{ChainRole(o.kind).label} Haarlem")


class ProfessionalFactory(ModelFactory):
    """A control-arm professional, qualified for their organisation's role.

    `bip=True` gives a BIP qualified for all three roles.
    """

    class Meta:
        model = Professional
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, group=StaffGroup.PROFESSIONAL)
    organisation = factory.SubFactory(OrganisationFactory)
    is_bip = False
    max_caseload = 25

    class Params:
        bip = factory.Trait(is_bip=True)
        inactive = factory.Trait(is_active=False)

    @factory.post_generation
    def qualified(self, create, extracted, **kwargs):
        """Qualifications: all three roles for a BIP, else the home organisation's role.

        Pass qualified=False for none, or a list of ChainRole values to choose.
        """
        if not create or extracted is False:
            return
        roles = extracted or (list(ChainRole) if self.is_bip else [self.organisation.kind])
        for role in roles:
            Qualification.objects.create(
                professional=self,
                role=role,
                valid_from=datetime.date(2018, 8, 1),
                is_sworn=role == ChainRole.LEERPLICHT,
            )


class SchoolFactory(ModelFactory):
    class Meta:
        model = School

    brin = factory.Sequence(valid_brin)
    name = factory.Sequence(lambda n: f"Testschool {n}")
    level = SchoolLevel.VO
    city = "Haarlem"


class HouseholdFactory(ModelFactory):
    class Meta:
        model = Household

    street = factory.Sequence(lambda n: f"Kruisstraat {n + 1}")
    postcode = "2011 AB"
    city = "Haarlem"


class ChildFactory(ModelFactory):
    class Meta:
        model = Child

    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    date_of_birth = factory.LazyFunction(
        lambda: timezone.localdate().replace(day=1) - datetime.timedelta(days=14 * 365)
    )
    bsn = factory.Sequence(valid_bsn)
    school = factory.SubFactory(SchoolFactory)
    household = factory.SubFactory(HouseholdFactory)


class GuardianFactory(ModelFactory):
    class Meta:
        model = Guardian

    child = factory.SubFactory(ChildFactory)
    household = factory.SelfAttribute("child.household")
    relation = "moeder"
    name = factory.Faker("name", locale="nl_NL")
    phone = "023-5551234"


class CaseFactory(ModelFactory):
    """An open Leerplicht case. Traits: assigned, closed, halt, rvdk, bip_arm, control_arm."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"2099-{n + 1:06d}")
    child = factory.SubFactory(ChildFactory)
    date_received = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20))
    melding_type = MeldingType.ZESTIEN_UUR
    hours_absent = 20
    times_late = 0
    period_start = factory.LazyAttribute(lambda c: c.date_received - datetime.timedelta(days=28))
    period_end = factory.LazyAttribute(lambda c: c.date_received - datetime.timedelta(days=2))
    stage = Stage.LEERPLICHT
    status = CaseStatus.OPEN
    professional = None

    class Params:
        closed = factory.Trait(
            status=CaseStatus.CLOSED,
            closed_on=factory.LazyAttribute(
                lambda c: c.date_received + datetime.timedelta(days=40)
            ),
        )
        halt = factory.Trait(stage=Stage.HALT)
        rvdk = factory.Trait(stage=Stage.RVDK)
        bip_arm = factory.Trait(arm=Arm.BIP)
        control_arm = factory.Trait(arm=Arm.CONTROL)
        assigned = factory.Trait(professional=factory.SubFactory(ProfessionalFactory))

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        """Write the assignment row for an assigned case, as case_assign would."""
        if create and self.professional_id:
            Assignment.objects.create(
                case=self,
                professional=self.professional,
                reason=AssignmentReason.INTAKE,
                assigned_by=self.professional.user,
            )


class StageChangeFactory(ModelFactory):
    class Meta:
        model = StageChange

    case = factory.SubFactory(CaseFactory)
    from_stage = Stage.LEERPLICHT
    to_stage = Stage.HALT
    from_status = CaseStatus.OPEN
    to_status = CaseStatus.OPEN
    reason = "Doorverwijzing naar Halt"
    actor = factory.SubFactory(UserFactory)


class ContactFactory(ModelFactory):
    class Meta:
        model = Contact

    case = factory.SubFactory(CaseFactory, assigned=True)
    professional = factory.LazyAttribute(lambda c: c.case.professional)
    role = ChainRole.LEERPLICHT
    kind = ContactKind.VERZUIMGESPREK
    with_whom = ContactWith.PUPIL_AND_PARENTS
    channel = Channel.IN_PERSON
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    duration_minutes = 45
    summary = "Gesprek over het verzuim."
    created_by = factory.LazyAttribute(lambda c: c.professional.user)

    class Params:
        verhoor = factory.Trait(kind=ContactKind.VERHOOR, caution_given=True)
        halt = factory.Trait(role=ChainRole.HALT, kind=ContactKind.HALT_GESPREK)


class OutcomeFactory(ModelFactory):
    class Meta:
        model = Outcome

    case = factory.SubFactory(CaseFactory, closed=True)
    category = OutcomeCategory.BACK_TO_SCHOOL
    achieved_on = factory.LazyAttribute(
        lambda o: o.case.date_received + datetime.timedelta(days=40)
    )
    recorded_by = factory.SubFactory(UserFactory)


class HouseholdPlanFactory(ModelFactory):
    class Meta:
        model = HouseholdPlan

    household = factory.SubFactory(HouseholdFactory)


class PlanGoalFactory(ModelFactory):
    class Meta:
        model = PlanGoal

    plan = factory.SubFactory(HouseholdPlanFactory)
    description = factory.Sequence(lambda n: f"Doel {n}")
    position = factory.Sequence(lambda n: n + 1)


class PlanActionFactory(ModelFactory):
    class Meta:
        model = PlanAction

    plan = factory.SubFactory(HouseholdPlanFactory)
    description = factory.Sequence(lambda n: f"Actie {n}")
    owner = PlanOwner.PARENTS
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))

    class Params:
        done = factory.Trait(done_on=factory.LazyFunction(timezone.localdate))


class AllocationFactory(ModelFactory):
    class Meta:
        model = Allocation

    case = factory.SubFactory(CaseFactory)
    arm = Arm.BIP
    method = AllocationMethod.BLOCK_RANDOM
    actor = factory.SubFactory(UserFactory, coordinator=True)

    class Params:
        # A correction of an earlier allocation: pass `supersedes` and the corrected `arm`.
        correction = factory.Trait(method=AllocationMethod.CORRECTION, reason="Verkeerd ingedeeld.")


class SurveyInvitationFactory(ModelFactory):
    class Meta:
        model = SurveyInvitation

    respondent_type = RespondentType.PARENT
    case = factory.SubFactory(CaseFactory, closed=True)
    token_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(32)).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))

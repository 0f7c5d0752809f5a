"""Imports every model, so the metadata (and Alembic) sees the whole schema."""
from rotation.accounts.models import LoginThrottle, PasswordLink, RoleGrant, SignIn, User  # noqa: F401
from rotation.assignments.models import Assignment  # noqa: F401
from rotation.attendance.models import AttendanceLink  # noqa: F401
from rotation.blackouts.models import Blackout  # noqa: F401
from rotation.change_requests.models import ChangeRequest  # noqa: F401
from rotation.data_versions import DataVersion  # noqa: F401
from rotation.feeds.models import FeedToken  # noqa: F401
from rotation.imports.models import PendingImport  # noqa: F401
from rotation.jobs.models import Job  # noqa: F401
from rotation.notifications.models import Notification  # noqa: F401
from rotation.observations.models import Evidence, Observation, Second, WindowExtension  # noqa: F401
from rotation.outbox.models import OutboxMessage  # noqa: F401
from rotation.people.models import Person  # noqa: F401
from rotation.plans.models import PlanRun, UnplacedShift  # noqa: F401
from rotation.problems.models import Problem, ProblemEvent, VerificationRequest  # noqa: F401
from rotation.process_map.models import AreaOwner, ProcessArea  # noqa: F401
from rotation.replies.models import CalendarReply  # noqa: F401
from rotation.sites.models import Site, Slot  # noqa: F401

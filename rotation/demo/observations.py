"""The demo company's observations: what its managers saw on their recent shifts, filed through the same
services the form uses, with one andon and a few "me too"s."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rotation.assignments.models import COMPLETED, CONFIRMED, PUBLISHED, Assignment
from rotation.extensions import db
from rotation.observations.models import WindowExtension
from rotation.observations.services import save, second, start_draft, submit
from rotation.people.models import Person
from rotation.process_map.tree import area_paths
from rotation.sites.models import CUSTOMER_SERVICE, Slot

# (area path, kind, title, what happened, contact driver, waste, minutes, visible, frequency, severity,
#  whys, cause, fix, quote); customer-service ones first, then warehouse ones.
CUSTOMER_SERVICE_OBSERVATIONS = [
    ("Customer service › Refunds", "blocked", "Refunds over 20 euros wait for a supervisor",
     "Every refund above 20 euros needs a supervisor's approval in the refund tool. Callers waited on hold while "
     "the agent looked for one; three of my twelve calls were refunds.", None, None, 6, True, "hourly", 3,
     ["The tool asks for approval above 20 euros.", "The limit was set when fraud was high in 2019.",
      "Nobody owns the limit since the fraud team moved."], "policy",
     "Let agents approve refunds up to 100 euros and review a sample weekly.",
     "We apologise more than we help."),
    ("Customer service › Delivery promises", "contact", "Promised Friday, delivered Tuesday",
     "Four callers asked where their parcel was: the checkout promised Friday for orders placed after the "
     "warehouse cut-off.", "Delivery date promised at checkout was wrong", None, 4, True, "daily", 4,
     ["The checkout ignores the warehouse cut-off time.", "The promise is computed from the order date only."],
     "machine", "Compute the promise from the cut-off and the carrier's calendar.",
     "Half my calls are about Friday promises."),
    ("Customer service › Order changes", "waste", "Address changes typed twice",
     "Changing a delivery address means typing it in the order system and again in the carrier portal.",
     None, "overprocessing", 3, False, "daily", 2, ["The two systems are not connected."], "machine",
     "Send address changes to the carrier through the existing integration.", None),
    ("Customer service › Billing", "good_practice", "Agents keep a shared note of billing fixes",
     "The team keeps a shared document of the ten most common invoice corrections with the exact steps. New "
     "agents resolve billing calls in half the time.", None, None, None, None, "daily", 1, [], "training",
     "Put the note into the knowledge base and keep it owned.", "Ask the sheet, everyone says."),
    ("Customer service › Refunds", "blocked", "Supervisor sign-off needed for every refund",
     "Agents queue for a supervisor to approve refunds; the supervisor approves them without looking.",
     None, None, 5, True, "daily", 3, ["Approval limit set at 20 euros."], "policy",
     "Raise the limit.", None),
    ("Customer service › Contact channels", "waste", "Chat hands customers over to the phone",
     "Chat agents cannot see orders older than 90 days and ask customers to call instead.", None, "waiting", 8,
     True, "daily", 3, ["The chat tool reads a 90-day order cache."], "machine",
     "Let chat read the full order history.", "Sorry, please call us: I hear it every hour."),
    ("Customer service › Returns", "contact", "Return label e-mail goes to spam",
     "Three callers had not received their return label; it was in their spam folder.",
     "Return label e-mail not received", None, 7, True, "daily", 2, ["The e-mail is sent from a no-reply domain."],
     "machine", "Send labels from the main domain and show the label on the order page.", None),
]
WAREHOUSE_OBSERVATIONS = [
    ("Warehouse › Picking", "waste", "Pickers walk to the far aisle for fast movers",
     "The ten fastest-moving items sit in aisle 40, the furthest from packing. Pickers walk there dozens of "
     "times a shift.", None, "motion", None, False, "hourly", 3,
     ["Slotting was done when the range was different.", "Nobody re-slots after range changes."], "method",
     "Re-slot fast movers next to packing every quarter.", "My step counter says 25,000 by lunch."),
    ("Warehouse › Tooling and equipment", "safety", "Forklift reversing alarm silent on truck 7",
     "Truck 7's reversing alarm did not sound in the stowing area; a picker stepped behind it.", None, None,
     None, False, "first_time", 5, ["The alarm fuse was removed because of complaints about noise."],
     "machine", "Refit the alarm today; check all trucks.", None),
    ("Warehouse › Packing", "defect", "Fragile items packed without padding",
     "Glassware went into the standard box without padding because the padding station was empty.", None, None,
     15, True, "weekly", 3, ["The padding station is refilled once a day."], "material",
     "Refill padding on a kanban card instead of once a day.", None),
]


def file_demo_observations(today: date) -> None:
    """File observations from recent shifts of the demo managers (the filing window is kept open for the
    demo's older ones), and second two of them; flush."""
    now = datetime.combine(today, time(12), tzinfo=UTC)
    paths = {path: area_id for area_id, path in area_paths().items()}
    shifts = db.session.scalars(
        sa.select(Assignment).join(Slot, Slot.id == Assignment.slot_id)
        .where(Assignment.status.in_((PUBLISHED, CONFIRMED, COMPLETED)), Slot.starts_at <= now,
               Slot.starts_at >= now - timedelta(days=120))
        .options(joinedload(Assignment.slot).joinedload(Slot.site))
        .order_by(Slot.starts_at.desc(), Assignment.id)).unique().all()
    by_kind = {kind: [shift for shift in shifts if (shift.kind == CUSTOMER_SERVICE) == (kind == CUSTOMER_SERVICE)]
               for kind in (CUSTOMER_SERVICE, "warehouse")}
    filed = []
    for kind, entries in ((CUSTOMER_SERVICE, CUSTOMER_SERVICE_OBSERVATIONS), ("warehouse", WAREHOUSE_OBSERVATIONS)):
        for shift, entry in zip(by_kind[kind], entries, strict=False):
            if entry[0] not in paths:
                continue
            filed.append(_file(shift, entry, paths[entry[0]], now))
    # Two managers saw the first customer-service observation too.
    seconders = by_kind[CUSTOMER_SERVICE][len(CUSTOMER_SERVICE_OBSERVATIONS):][:2]
    if filed:
        for shift in seconders:
            _keep_window_open(shift, today)
            second(filed[0], db.session.get_one(Person, shift.person_id), shift, "Same here: two refund calls waited.",
                   now)


def _file(shift: Assignment, entry: tuple, area_id: int, now: datetime):
    (_, kind, title, what, driver, waste, minutes, visible, frequency, severity, whys, cause, fix, quote) = entry
    _keep_window_open(shift, now.date())
    # Filed as the shift ended, as managers do.
    now = min(now, shift.slot.ends_at - timedelta(minutes=30))
    observation = start_draft(shift, db.session.get_one(Person, shift.person_id), now)
    whys = [*whys, None, None, None, None, None][:5]
    save(observation, {"area_id": area_id, "kind": kind, "title": title, "contact_driver": driver, "waste": waste,
                       "what_happened": what, "customer_minutes": minutes, "customer_visible": visible,
                       "frequency": frequency, "severity": severity, "why_1": whys[0], "why_2": whys[1],
                       "why_3": whys[2], "why_4": whys[3], "why_5": whys[4], "cause": cause, "suggested_fix": fix,
                       "frontline_quote": quote, "reference_numbers": None}, now)
    submit(observation, now)
    return observation


def _keep_window_open(shift: Assignment, today: date) -> None:
    """HR's extension, as for a manager who asked for more time, so older demo shifts can be filed about."""
    if db.session.get(WindowExtension, shift.id) is None:
        db.session.add(WindowExtension(assignment_id=shift.id, until=today + timedelta(days=7),
                                       granted_by="hr@example.com"))
        db.session.flush()

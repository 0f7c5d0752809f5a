"""The demo company's process map: customer-service, warehouse and policy areas with their owners."""
from __future__ import annotations

import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.extensions import db
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.process_map.tree import SEPARATOR

# (name, description, sub-areas); a sub-area is the same kind of tuple.
MAP = [
    ("Customer service", "Every contact a customer makes with us, and what drove it.", [
        ("Returns", "Starting a return, return labels, drop-off points and the return status customers see.", [
            ("Return labels", "Printing, sending and replacing prepaid return labels.", []),
            ("Damaged on arrival", "Items that arrive broken or incomplete, and how we make it right.", []),
        ]),
        ("Refunds", "When and how money goes back to the customer, partial refunds and store credit.", []),
        ("Delivery promises", "The delivery dates we show at checkout and in e-mails, and keeping them.", [
            ("Late deliveries", "Parcels that miss the promised day, and what we tell the customer.", []),
        ]),
        ("Order changes", "Changing or cancelling an order after it is placed: address, items, delivery.", []),
        ("Billing", "Invoices, payment methods, double charges and payment reminders.", []),
        ("Contact channels", "Phone, chat and e-mail: queues, call-backs, hand-overs between agents.", []),
        ("Fax orders", "Orders sent by fax; the channel was closed and its questions go to Order changes.", []),
    ]),
    ("Warehouse", "From the truck at the dock to the parcel leaving the building.", [
        ("Inbound", "Receiving deliveries from suppliers, checking them and booking them in.", []),
        ("Stowing", "Putting received stock away in its locations.", []),
        ("Picking", "Finding and taking the items of each order from their locations.", [
            ("Pick paths and locations", "The route through the aisles and where each item lives.", []),
        ]),
        ("Packing", "Choosing the box, filling and protecting it, the packing slip.", []),
        ("Dispatch", "Labels, sorting by carrier and handing parcels over on time.", []),
        ("Tooling and equipment", "Scanners, printers, trolleys, conveyors and their upkeep.", [
            ("Handheld scanners", "The scanners pickers and stowers carry: batteries, screens, software.", []),
        ]),
    ]),
    ("Policy", "The rules the frontline works by, and who may make an exception.", [
        ("Policies and approvals",
         "Who must approve what: goodwill, exceptions, limits the frontline cannot pass.", []),
        ("Customer-facing rules", "Rules customers meet directly, such as return windows and delivery fees.", []),
    ]),
]

RETIRED = {"Customer service" + SEPARATOR + "Fax orders"}

OWNERS = {
    "Customer service": ["owner@example.com"],
    "Policy": ["owner@example.com"],
    "Warehouse": ["ceo@example.com"],
}


def load_process_map() -> dict[str, ProcessArea]:
    """Create the demo map and its owners, and flush; areas already there are kept, so it may run twice.

    Owners are the demo accounts (Olli Laine for customer service and policy,
    Carla Esposito for the warehouse); an account that does not exist is left
    out. Returns every area by its path, e.g. ``Customer service › Returns``.
    """
    areas: dict[str, ProcessArea] = {}

    def plant(entries, parent: ProcessArea | None, prefix: str) -> None:
        for name, description, children in entries:
            path = prefix + name
            area = db.session.scalar(sa.select(ProcessArea).where(
                ProcessArea.name == name,
                ProcessArea.parent_id == parent.id if parent else ProcessArea.parent_id.is_(None)))
            if area is None:
                area = ProcessArea(name=name, description=description, parent_id=parent.id if parent else None,
                                   is_active=path not in RETIRED)
                db.session.add(area)
                db.session.flush()
            areas[path] = area
            plant(children, area, path + SEPARATOR)

    plant(MAP, None, "")
    users = {user.email: user for user in db.session.scalars(
        sa.select(User).where(User.email.in_({email for emails in OWNERS.values() for email in emails})))}
    for path, emails in OWNERS.items():
        for email in emails:
            user = users.get(email)
            if user is not None and db.session.get(AreaOwner, (areas[path].id, user.id)) is None:
                db.session.add(AreaOwner(area_id=areas[path].id, user_id=user.id))
    db.session.flush()
    return areas

"""Creating and changing POCs and customers: plain functions, audited, the caller commits.

A change to a POC carries the version the editor saw; when the POC moved on meanwhile
the change is refused with `VersionConflict`, naming who changed what, and nothing is
written (the same rule as action items).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.audit.log import Actor, diff, record, snapshot
from portal.audit.models import AuditEvent
from portal.errors import Conflict, DomainError
from portal.pocs import sequencing
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.text import one_line
from portal.vocab import OFFER_TYPES, POC_STAGES

POC_FIELDS = ("customer_id", "hyperscaler_id", "stage", "planned_start", "planned_end",
              "owner_id", "offer_type", "success_criteria", "notes")
CUSTOMER_FIELDS = ("name", "segment", "account_owner_id", "notes")


class PocInputError(DomainError):
    """Bad input that the form could not catch (422), with the field it belongs to."""


class VersionConflict(Conflict):
    """Someone else changed the POC after the editor loaded it (409); nothing saved."""


@dataclass
class PocValues:
    customer_id: int
    hyperscaler_id: int
    stage: str = "candidate"
    planned_start: date | None = None
    planned_end: date | None = None
    owner_id: int | None = None
    offer_type: str = "private"
    success_criteria: str = ""
    notes: str = ""


def last_change(session: Session, entity_type: str, entity_id: int) -> str:
    """`Jason Vallery changed stage (candidate → running) at 09:12 UTC`, from the audit log."""
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                 AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(1)
    )
    if event is None:
        return "Someone else changed it"
    who = (event.actor_user.name if event.actor_user else
           event.actor_person.name if event.actor_person else event.via)
    when = event.created_at.strftime("%d %b %Y, %H:%M UTC")
    after = event.after or {}
    before = event.before or {}
    if after and event.action == "update":
        changes = ", ".join(f"{key.replace('_', ' ')} ({_show(before.get(key))} → {_show(value)})"
                            for key, value in after.items())
        return f"{who} changed {changes} on {when}"
    return f"{who}: {event.summary} on {when}" if event.summary else f"{who} changed it on {when}"


def _show(value) -> str:
    return "empty" if value in (None, "") else str(value)


def _check(session: Session, values: PocValues) -> None:
    if values.stage not in POC_STAGES:
        raise PocInputError("Choose one of the stages in the list.", "stage")
    if values.offer_type not in OFFER_TYPES:
        raise PocInputError("Choose private or public.", "offer_type")
    if values.planned_start and values.planned_end and values.planned_end < values.planned_start:
        raise PocInputError("The end date is before the start date.", "planned_end")
    if session.get(Customer, values.customer_id) is None:
        raise PocInputError("There is no such customer.", "customer_id")
    if session.get(Hyperscaler, values.hyperscaler_id) is None:
        raise PocInputError("There is no such hyperscaler.", "hyperscaler_id")


def create_poc(session: Session, actor: Actor, values: PocValues) -> Poc:
    """A new POC at the end of its hyperscaler's sequence."""
    _check(session, values)
    position = sequencing.append_to_column(session, values.hyperscaler_id)
    poc = Poc(position=position, **{name: getattr(values, name) for name in POC_FIELDS})
    session.add(poc)
    session.flush()
    record(session, actor, "poc", poc.id, "create",
           summary=f"Added {poc.customer.name}'s POC on {poc.hyperscaler.name} at #{position}",
           after=snapshot(poc, POC_FIELDS + ("position",)))
    return poc


def _assert_version(session: Session, poc: Poc, version: int | None) -> None:
    if version is None or poc.version != version:
        raise VersionConflict(f"{last_change(session, 'poc', poc.id)}. Nothing was saved; "
                              "here is the POC as it is now.")


def update_poc(session: Session, actor: Actor, poc: Poc, values: PocValues,
               version: int | None) -> Poc:
    """Saves an edit; a new hyperscaler puts the POC at the end of that sequence."""
    _assert_version(session, poc, version)
    _check(session, values)
    before = snapshot(poc, POC_FIELDS)
    old_hyperscaler = poc.hyperscaler_id
    if values.hyperscaler_id != old_hyperscaler:
        sequencing.lock_columns(session, {old_hyperscaler, values.hyperscaler_id})
        poc.position = sequencing.append_to_column(session, values.hyperscaler_id)
    for name in POC_FIELDS:
        setattr(poc, name, getattr(values, name))
    session.flush()  # the version check happens here too (version_id_col)
    if values.hyperscaler_id != old_hyperscaler:
        sequencing.close_gap(session, old_hyperscaler)
    changed_before, changed_after = diff(before, snapshot(poc, POC_FIELDS))
    if changed_after:
        record(session, actor, "poc", poc.id, "update",
               summary=f"Edited {poc.customer.name}'s POC on {poc.hyperscaler.name}",
               before=changed_before, after=changed_after)
    return poc


def change_stage(session: Session, actor: Actor, poc: Poc, stage: str,
                 version: int | None) -> Poc:
    """The stage change from a card, refused when the card was stale."""
    if stage not in POC_STAGES:
        raise PocInputError("Choose one of the stages in the list.", "stage")
    _assert_version(session, poc, version)
    if poc.stage == stage:
        return poc
    before = poc.stage
    poc.stage = stage
    session.flush()
    record(session, actor, "poc", poc.id, "update",
           summary=f"{poc.customer.name} on {poc.hyperscaler.name}: stage {before} → {stage}",
           before={"stage": before}, after={"stage": stage})
    return poc


def save_customer(session: Session, actor: Actor, customer: Customer | None, *, name: str,
                  segment: str, account_owner_id: int | None, notes: str,
                  hyperscaler_ids: list[int]) -> Customer:
    """Creates (`customer=None`) or updates a customer; names are unique, whatever their
    case, spaces or invisible characters ("citadel " is Citadel)."""
    name = one_line(name)
    if not name:
        raise PocInputError("Give the customer a name.", "name")
    clash = session.scalar(select(Customer.id).where(func.lower(Customer.name) == name.lower()))
    if clash is not None and (customer is None or clash != customer.id):
        raise PocInputError("There is already a customer with this name.", "name")
    scalers = list(session.scalars(select(Hyperscaler).where(Hyperscaler.id.in_(hyperscaler_ids))))
    if len(scalers) != len(set(hyperscaler_ids)):
        raise PocInputError("There is no such hyperscaler.", "hyperscalers")
    creating = customer is None
    if creating:
        customer = Customer(name=name)
        session.add(customer)
        before = {}
    else:
        before = snapshot(customer, CUSTOMER_FIELDS)
        before["hyperscalers"] = [h.name for h in customer.hyperscalers]
    customer.name = name
    customer.segment = segment.strip()
    customer.account_owner_id = account_owner_id
    customer.notes = notes.strip()
    customer.hyperscalers = sorted(scalers, key=lambda h: h.rank)
    session.flush()
    after = snapshot(customer, CUSTOMER_FIELDS)
    after["hyperscalers"] = [h.name for h in customer.hyperscalers]
    if creating:
        record(session, actor, "customer", customer.id, "create",
               summary=f"Added customer {name}", after=after)
    else:
        old, new = diff(before, after)
        if new:
            record(session, actor, "customer", customer.id, "update",
                   summary=f"Edited customer {name}", before=old, after=new)
    return customer


CHOOSE_ITEM = "Choose an action item from the list."


def _item_number(raw: str) -> int:
    """The item's number from the select (`12`) or from an older form (`12`, `#12`)."""
    text = (raw or "").strip().lstrip("#")
    if not text.isdigit() or len(text) > 9:
        raise PocInputError(CHOOSE_ITEM, field="item_id")
    return int(text)


def poc_name(poc: Poc) -> str:
    """How people name a POC: its customer and its hyperscaler."""
    return f"{poc.customer.name} · {poc.hyperscaler.name}"


def link_item(session: Session, actor: Actor, poc: Poc, raw_item_id: str) -> None:
    """Links an action item to the POC (its follow-up work); audited."""
    from portal.actions.models import ActionItem

    number = _item_number(raw_item_id)
    item = session.get(ActionItem, number)
    if item is None:
        raise PocInputError(f"There is no action item #{number} (any more): choose one from "
                            f"the list.", field="item_id")
    if item in poc.action_items:
        raise PocInputError(f"Action item #{item.id} is already linked to {poc_name(poc)}.",
                            field="item_id")
    poc.action_items.append(item)
    record(session, actor, "poc", poc.id, "link_item",
           summary=f"Linked action item #{item.id} to the POC of {poc.customer.name}",
           after={"action_item_id": item.id})


def link_item_to_poc(session: Session, actor: Actor, item_id: int,
                     poc_id: int | None) -> Poc:
    """Links an action item to the POC chosen by name (the item's side of `link_item`)."""
    poc = session.get(Poc, poc_id) if poc_id is not None else None
    if poc is None:
        raise PocInputError("Choose a POC from the list." if poc_id is None else
                            "That POC no longer exists: choose one from the list.",
                            field="poc_id")
    try:
        link_item(session, actor, poc, str(item_id))
    except PocInputError as error:
        raise PocInputError(error.message, field="poc_id") from None
    return poc


def unlink_item(session: Session, actor: Actor, poc: Poc, item_id: int) -> None:
    """Removes the link between the POC and an action item; audited."""
    item = next((i for i in poc.action_items if i.id == item_id), None)
    if item is None:
        raise PocInputError(f"Action item #{item_id} is not linked to this POC.")
    poc.action_items.remove(item)
    record(session, actor, "poc", poc.id, "unlink_item",
           summary=f"Unlinked action item #{item.id} from the POC of {poc.customer.name}",
           before={"action_item_id": item.id})

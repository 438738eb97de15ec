"""The permission rules, in one place. Views and templates ask `can(...)`; nothing
else decides who may do what."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

# What each role may do. `read` covers every page; the rest are changes.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"read", "edit_program", "import_notes", "manage_outbox", "manage_users",
         "manage_settings", "comment", "delete_items"}
    ),
    "lead": frozenset({"read", "edit_program", "import_notes", "manage_outbox", "comment"}),
    "owner": frozenset({"read", "comment"}),
    "executive": frozenset({"read"}),
}

# Fields of an action item that its owner may change.
OWNER_EDITABLE_FIELDS = frozenset({"status", "notes"})


def can(user, permission: str) -> bool:
    """Whether `user` holds `permission` through their role."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def can_change_item(user, item, fields=frozenset()) -> bool:
    """Leads change any item; an owner changes only the status and notes of their own."""
    if can(user, "edit_program"):
        return True
    if not can(user, "read") or user.role != "owner":
        return False
    return item.owner_id is not None and item.owner_id == user.person_id and (
        set(fields) <= OWNER_EDITABLE_FIELDS
    )


def refusal_of_change(user, item) -> str:
    """Why `can_change_item` said no, in the words of its rule (the answer's message)."""
    if not can(user, "read") or user.role != "owner":
        return "Your role does not allow changing items."
    if item.owner_id is None or item.owner_id != user.person_id:
        return "This item is someone else's: only its owner and the leads change it."
    return "On their own items, owners change the status and the notes; a lead changes the rest."


def can_grant_role(user, role: str) -> bool:
    """Who may give a login `role` (by invitation or on the Users page): admins any role,
    leads any but admin."""
    if can(user, "manage_users"):
        return role in ROLE_PERMISSIONS
    return can(user, "edit_program") and role in ROLE_PERMISSIONS and role != "admin"


def can_comment_on(user, item) -> bool:
    """Leads comment on any item, owners on their own."""
    if can(user, "edit_program"):
        return True
    return can(user, "comment") and item.owner_id is not None and item.owner_id == user.person_id


def can_edit_preferences(user, person) -> bool:
    """A person's reminder preferences and calendar link: their own, or any with
    `edit_program`."""
    if can(user, "edit_program"):
        return True
    return can(user, "read") and person is not None and user.person_id == person.id


def can_see_program_calendar(login, leads_a_workstream: bool) -> bool:
    """The program calendar is for leads: the lead of a workstream, or a person whose
    active login may edit the program. `login` is the person's login or None; the
    calendar link is the credential, so nobody needs to be signed in."""
    return leads_a_workstream or can(login, "edit_program")


def permission_required(permission: str):
    """View decorator: 403 unless the current user holds `permission`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


def public(view):
    """Marks a view that answers without a login (login page, health check, signed links)."""
    view.is_public = True
    return view

"""Pieces of pages that every area shows while the program is being set up: the "not set
up yet" page, and whether a page is a step of the setup."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import User
from portal.auth.permissions import can
from portal.extensions import db
from portal.web import render

# How many of the people who can set the program up the "not set up" page names.
SETUP_ADMINS_SHOWN = 8


def who_sets_up() -> list[User]:
    """The people who can set the program up: active admins and leads."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(("admin", "lead")))
        .order_by(User.role, User.name).limit(SETUP_ADMINS_SHOWN)))


def in_setup() -> bool:
    """Whether the page is shown as a step of setting up the program."""
    return request.values.get("setup") == "1"


def setup_args() -> dict:
    """URL arguments that keep the setup steps on the next page."""
    return {"setup": 1} if in_setup() else {}


def not_set_up(status: int = 200, what: str | None = None):
    """The page every program page shows while there is no program: leads and admins get
    the way to set it up, everyone else who can."""
    editor = can(current_user, "edit_program")
    return render("program/not_set_up.html", status=status, what=what, editor=editor,
                  setters=[] if editor else who_sets_up())

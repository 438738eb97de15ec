"""Inline edits commit deliberately: an arrow key on a row's status only changes what the
select shows; Enter (or leaving it, or a choice made with the pointer) saves that one
field, the focus stays on the control, and a few seconds of Undo follow."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_actions_flows import first_item, reload_item

pytestmark = pytest.mark.browser


def status_select(page, item_id):
    return page.locator(f"#item-{item_id} select[name=status]")


def on_the_list(page, login, live_server):
    """The action list open as the demo lead; returns a proposed item on it."""
    item = first_item(live_server, status="proposed")
    login("lead@example.com")
    page.goto("/actions")
    return item


def row_saved(page, item):
    """Waits, as a context manager, for the answer to a save of `item`'s row."""
    return page.expect_response(lambda r: r.url.endswith(f"/actions/{item.id}/row"))


def step_status_and_commit(page, item, key):
    """Moves the row's status one choice down with the keyboard and commits it with `key`,
    waiting for the save."""
    status_select(page, item.id).focus()
    page.keyboard.press("ArrowDown")
    with row_saved(page, item):
        page.keyboard.press(key)


def test_an_arrow_key_saves_nothing_and_enter_saves(page, login, live_server):
    item = on_the_list(page, login, live_server)
    select = status_select(page, item.id)
    select.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(600)  # were anything sent, its answer would be in by now
    assert reload_item(live_server, item.id).version == item.version
    expect(page.locator(f"#item-{item.id}")).to_have_attribute("data-version",
                                                               str(item.version))
    assert page.evaluate("document.activeElement.name") == "status"
    chosen = select.input_value()
    assert chosen != item.status
    with row_saved(page, item):
        page.keyboard.press("Enter")
    row = page.locator(f"#item-{item.id}")
    expect(row).to_have_attribute("data-version", str(item.version + 1))
    assert reload_item(live_server, item.id).status == chosen
    # the focus stays on the (re-rendered) status select of that row
    expect(status_select(page, item.id)).to_be_focused()


def test_leaving_a_changed_control_saves_it(page, login, live_server):
    item = on_the_list(page, login, live_server)
    step_status_and_commit(page, item, "Tab")
    expect(page.locator(f"#item-{item.id}")).to_have_attribute("data-version",
                                                               str(item.version + 1))
    # the focus is where Tab took it, the next control of the re-rendered row, not lost
    expect(page.locator(f"#item-{item.id} select[name=priority]")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(status_select(page, item.id)).to_be_focused()


def test_a_pointer_choice_saves_at_once_and_can_be_undone(page, login, live_server):
    item = on_the_list(page, login, live_server)
    status_select(page, item.id).hover()  # its choices load when it is first reached
    expect(status_select(page, item.id).locator("option")).not_to_have_count(1)
    with row_saved(page, item):
        status_select(page, item.id).select_option("in_progress")
    assert reload_item(live_server, item.id).status == "in_progress"
    toast = page.locator("#toast")
    expect(toast).to_contain_text("Saved: Status In progress")
    with row_saved(page, item):
        toast.get_by_role("button", name="Undo").click()
    expect(page.locator(f"#item-{item.id}")).to_have_attribute("data-version",
                                                               str(item.version + 2))
    assert reload_item(live_server, item.id).status == "proposed"
    expect(page.locator(f"#item-{item.id}")).to_have_attribute("data-status", "proposed")


def test_clearing_a_due_date_says_so_and_can_be_undone(page, login, live_server):
    item = on_the_list(page, login, live_server)
    assert item.due_date is not None
    due = page.locator(f"#item-{item.id} input[name=due_date]")
    with row_saved(page, item):
        due.fill("")
        due.press("Enter")
    assert reload_item(live_server, item.id).due_date is None
    toast = page.locator("#toast")
    expect(toast).to_contain_text("Saved: Due cleared.")
    with row_saved(page, item):
        toast.get_by_role("button", name="Undo").click()
    expect(page.locator(f"#item-{item.id} input[name=due_date]")).to_have_value(
        item.due_date.isoformat())
    assert reload_item(live_server, item.id).due_date == item.due_date


def test_ctrl_z_undoes_a_keyboard_edit_without_leaving_the_row(page, login, live_server):
    """The toast is far from the row in the tab order: Ctrl+Z presses its Undo."""
    item = on_the_list(page, login, live_server)
    step_status_and_commit(page, item, "Enter")
    expect(page.locator("#toast")).to_contain_text("Ctrl+Z")
    expect(status_select(page, item.id)).to_be_focused()
    with row_saved(page, item):
        page.keyboard.press("Control+z")
    expect(page.locator(f"#item-{item.id}")).to_have_attribute("data-status", "proposed")
    assert reload_item(live_server, item.id).status == "proposed"
    expect(page.locator("#toast")).to_be_hidden()


def test_a_date_typed_in_part_is_not_saved_and_leaving_puts_it_back(page, login,
                                                                    live_server):
    """A date input with one part cleared reads as empty; saving that would clear the
    date."""
    item = on_the_list(page, login, live_server)
    due = page.locator(f"#item-{item.id} input[name=due_date]")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/row") else None)
    due.focus()
    page.keyboard.press("Backspace")
    assert due.evaluate("el => el.validity.badInput")
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Due: the date is not complete")
    status_select(page, item.id).focus()  # leaving it (Tab moves between its parts)
    expect(due).to_have_value(item.due_date.isoformat())
    page.wait_for_timeout(600)  # were anything sent, its answer would be in by now
    assert sent == []
    assert reload_item(live_server, item.id).due_date == item.due_date


def test_a_saved_date_is_told_as_the_pages_write_dates(page, login, live_server):
    item = on_the_list(page, login, live_server)
    due = page.locator(f"#item-{item.id} input[name=due_date]")
    with row_saved(page, item):
        due.fill("2027-02-03")
        due.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Saved: Due 03 Feb 2027.")

"""'New item' on /actions opens its panel, focuses the first field and keeps it clear of
the sticky top bar, with and without JavaScript (issue 17, point 11). A closed panel
fetches its form when it first opens (issue 18)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def panel_state(page, loaded: bool = True) -> dict:
    """Where the panel is and what has the focus, once its form is there and focused."""
    if loaded:
        page.wait_for_function("""() => document.activeElement
            && document.activeElement.closest('#create-panel form') !== null""")
    return page.evaluate("""() => {
        const panel = document.getElementById('create-panel');
        const bar = document.querySelector('.topbar').getBoundingClientRect();
        const first = panel.querySelector('input:not([type=hidden]), select, textarea');
        return {open: panel.open, top: panel.getBoundingClientRect().top,
                bar: bar.bottom, focused: first !== null && document.activeElement === first,
                firstVisible: first !== null && first.getBoundingClientRect().top >= bar.bottom,
                form: panel.querySelector('form') !== null};
    }""")


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_new_item_opens_the_panel_below_the_top_bar_with_focus(page, login, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login("lead@example.com")
    page.goto("/actions?status=open")
    closed = panel_state(page, loaded=False)
    assert closed["open"] is False and closed["form"] is False  # fetched when opened
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.get_by_role("link", name="New item").click()
    state = panel_state(page)
    assert state["open"] and state["focused"] and state["firstVisible"]
    assert state["top"] >= state["bar"]  # not hidden under the sticky top bar
    page.keyboard.type("Order the badges")
    assert page.locator("#create-panel input:not([type=hidden])").first.input_value() \
        == "Order the badges"


def test_the_link_opens_the_panel_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False,
                                  viewport={"width": 1366, "height": 900})
    page = context.new_page()
    from tests.browser.conftest import sign_in

    sign_in(page, "lead@example.com")
    page.goto("/actions?status=open")
    href = page.get_by_role("link", name="New item").get_attribute("href")
    assert "new=1" in href and "status=open" in href and href.endswith("#create-panel")
    page.get_by_role("link", name="New item").click()
    page.wait_for_load_state()
    state = panel_state(page, loaded=False)
    assert state["form"]
    assert state["open"] and state["top"] >= state["bar"]
    context.close()


def test_a_shared_link_to_the_panel_opens_it(page, login):
    login("lead@example.com")
    page.goto("/actions#create-panel")
    state = panel_state(page)
    assert state["open"] and state["focused"]


def test_opening_the_panel_by_its_summary_loads_the_form_once(page, login):
    """Opened by its own summary (a click or the keyboard), the panel loads its form;
    closed and opened again, it keeps what was typed and asks for nothing more."""
    login("lead@example.com")
    page.goto("/actions?status=open")
    fetches = []
    page.on("request", lambda r: fetches.append(r.url) if "/actions/new" in r.url else None)
    page.locator("#create-panel summary").focus()
    page.keyboard.press("Enter")
    title = page.locator("#create-panel input[name=title]")
    title.fill("Order the badges")
    page.locator("#create-panel summary").click()
    page.locator("#create-panel summary").click()
    assert title.input_value() == "Order the badges" and len(fetches) == 1


def test_on_a_phone_the_filter_chips_scroll_and_the_page_does_not(page, login):
    """Each row of status and priority chips scrolls within itself; neither the row nor
    its hidden checkboxes may widen the page."""
    page.set_viewport_size({"width": 390, "height": 844})
    login("lead@example.com")
    page.goto("/actions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    chips = page.locator("fieldset.chips").first
    assert chips.evaluate("el => el.scrollWidth > el.clientWidth")  # it has more to show
    last = chips.locator("label.chip").last
    last.scroll_into_view_if_needed()
    assert last.is_visible()


@pytest.mark.parametrize("who", ["lead@example.com", "owner@example.com"])
def test_on_a_phone_an_overdue_rows_red_bar_is_beside_its_text(page, login, who):
    """The stacked row draws its overdue bar down its left edge; the title (and a lead's
    tick) start to the right of it, never under it."""
    page.set_viewport_size({"width": 390, "height": 844})
    login(who)
    page.goto("/actions?overdue=1")
    row = page.locator("tr.item-row.row-overdue").first
    bar_end = row.evaluate("el => el.getBoundingClientRect().left") + 3
    title = row.locator("a.item-title").evaluate("el => el.getBoundingClientRect().left")
    assert title > bar_end + 4
    tick = row.locator("input[name=ids]")
    if tick.count():
        assert tick.evaluate("el => el.getBoundingClientRect().left") > bar_end

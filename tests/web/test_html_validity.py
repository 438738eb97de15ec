"""HTML validity of every main page, as every role and signed out (issue 17, point 12).

The Nu checker needs Java, which this machine does not have: these are the rules it broke
on the portal, checked with the standard library's parser over the Flask test client.
"""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

from portal.demo import DEMO_PASSWORD
from tests.pages import EMAILS, ROLES, SIGNED_OUT_PAGES, page_ids, pages_for, seed_living_demo

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
INTERACTIVE = {"a", "button"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs = tag, attrs
        self.text = ""
        self.named_inside = False  # a descendant carries aria-label or alt text


class Checker(HTMLParser):
    """Collects the problems of one HTML document; `problems` after `feed` and `close`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[_Element] = []
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict]] = []  # (description, attrs) needing a label
        self.problems: list[str] = []

    def _inside(self, *tags: str) -> _Element | None:
        return next((e for e in reversed(self.stack) if e.tag in tags), None)

    def handle_starttag(self, tag, attr_list):
        attrs = dict(attr_list)
        where = f"<{tag}{_describe(attrs)}>"
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        # htmx reads data-hx-* as well: the valid form.
        self.problems += [f"{where} has {name} (write data-{name})"
                          for name in attrs if name.startswith("hx-")]
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag == "details" and self._inside("figure"):
            self.problems.append(f"{where} inside <figure>")
        if tag in ("span", "div") and "aria-label" in attrs and "role" not in attrs:
            self.problems.append(f"{where} has aria-label but no role")
        if tag in INTERACTIVE and (outer := self._inside(*INTERACTIVE)):
            self.problems.append(f"{where} inside <{outer.tag}{_describe(outer.attrs)}>")
        if tag in ("input", "select", "textarea"):
            kind = (attrs.get("type") or "text").lower() if tag == "input" else tag
            labelled = (attrs.get("aria-label") or attrs.get("aria-labelledby")
                        or self._inside("label"))
            if kind not in UNLABELLED_INPUT_TYPES and not labelled:
                self.controls.append((where, attrs))
        if attrs.get("aria-label") or attrs.get("alt"):
            for element in self.stack:
                element.named_inside = True
        if tag not in VOID:
            self.stack.append(_Element(tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not any(e.tag == tag for e in self.stack):
            return
        while self.stack:
            element = self.stack.pop()
            if element.tag == "th" and not (element.text.strip() or element.named_inside
                                            or element.attrs.get("aria-label")):
                self.problems.append(f"empty <th{_describe(element.attrs)}>")
            if self.stack:
                self.stack[-1].text += element.text
                self.stack[-1].named_inside |= element.named_inside
            if element.tag == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1].text += data

    def close(self):
        super().close()
        self.problems += [f'id="{i}" used {n} times' for i, n in self.ids.items() if n > 1]
        self.problems += [f"{where} has no label" for where, attrs in self.controls
                          if attrs.get("id") not in self.label_for]


def _describe(attrs: dict) -> str:
    shown = {k: v for k, v in attrs.items() if k in ("id", "name", "class", "href", "type")}
    return "".join(f' {k}="{v}"' for k, v in shown.items())


def problems_of(html: str) -> list[str]:
    checker = Checker()
    checker.feed(html)
    checker.close()
    return checker.problems


@pytest.mark.parametrize("html, problem", [
    ('<p id="a"></p><p id="a"></p>', 'id="a" used 2 times'),
    ("<figure><details><summary>s</summary></details></figure>", "<details> inside <figure>"),
    ('<span aria-label="x">1</span>', 'has aria-label but no role'),
    ("<table><tr><th></th></tr></table>", "empty <th>"),
    ('<a href="/"><button>b</button></a>', '<button> inside <a href="/">'),
    ('<input name="q">', '<input name="q"> has no label'),
    ('<label for="x">X</label><select name="s"></select>', '<select name="s"> has no label'),
    ('<form hx-post="/x"></form>', "has hx-post (write data-hx-post)"),
])
def test_the_checker_finds_each_problem(html, problem):
    assert problem in "\n".join(problems_of(html))


def test_the_checker_accepts_the_valid_forms():
    html = ('<p id="a"></p><p id="b"></p><details><figure></figure></details>'
            '<span role="img" aria-label="x"></span><table><tr><th aria-label="Pick"></th>'
            '<th><input type="checkbox" aria-label="All"></th><th>Name</th></tr></table>'
            '<label for="q">Q</label><input id="q"><label>W <select></select></label>'
            '<textarea aria-labelledby="a"></textarea><input type="hidden" name="h">'
            '<form data-hx-post="/x"></form>')
    assert problems_of(html) == []


def _check(client, paths):
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        if problems := problems_of(response.get_data(as_text=True)):
            found[path] = problems
    assert not found, "HTML problems:\n" + "\n".join(
        f"  {path}: {problem}" for path, problems in found.items() for problem in problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_valid_html(app, client, session, role):
    seed_living_demo(session, app.config)
    ids = page_ids(session)
    client.post("/login", data={"email": EMAILS[role], "password": DEMO_PASSWORD})
    _check(client, [path.format(**ids) for path in pages_for(role)])


def test_the_signed_out_pages_are_valid_html(app, client):
    _check(client, SIGNED_OUT_PAGES)

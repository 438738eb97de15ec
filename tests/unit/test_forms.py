"""The shared form pieces that are not about one area."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from wtforms import Form, SelectChoice, SelectField, widgets

from portal.forms import Select, person_choices

PEOPLE = [SimpleNamespace(id=1, name='Ann <b>&"Q"', kind="person"),
          SimpleNamespace(id=2, name="Ops' team", kind="team")]


@pytest.mark.parametrize("chosen", [None, "", "1", "2"])
def test_the_select_writes_what_wtforms_writes(chosen):
    """The quick select and WTForms' own give the same HTML, escapes and choice included."""
    class Both(Form):
        quick = SelectField(choices=person_choices(PEOPLE), widget=Select())
        plain = SelectField(choices=person_choices(PEOPLE), widget=widgets.Select())

    form = Both(data={"quick": chosen, "plain": chosen})
    quick = str(form.quick()).replace('"quick"', '"plain"')
    assert quick == str(form.plain())
    assert "&lt;b&gt;&amp;&#34;Q&#34;" in quick
    assert ('selected value="2"' in quick) == (chosen == "2")


def test_options_with_attributes_still_go_through_wtforms():
    class One(Form):
        pick = SelectField(choices=[SelectChoice("a", "A", render_kw={"disabled": True})],
                           widget=Select())

    assert str(One().pick()) == ('<select id="pick" name="pick">'
                                 '<option disabled value="a">A</option></select>')

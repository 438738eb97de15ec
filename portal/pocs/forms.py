"""Forms of the POC area: POCs, customers, stage changes and moves, hyperscalers."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import IdSelectField, IsoDateField
from portal.pocs.hyperscalers import NAME_MAX
from portal.vocab import OFFER_TYPES, POC_STAGES, label


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def stage_choices() -> list[SelectChoice]:
    return [SelectChoice(stage, label(stage)) for stage in POC_STAGES]


class PocForm(FlaskForm):
    customer_id = SelectField("Customer", coerce=int, validators=[InputRequired()])
    hyperscaler_id = SelectField("Hyperscaler", coerce=int, validators=[InputRequired()])
    stage = SelectField("Stage", choices=stage_choices(), default="candidate")
    offer_type = SelectField("Offer type", default="private",
                             choices=[SelectChoice(t, label(t)) for t in OFFER_TYPES])
    planned_start = IsoDateField("Planned start", validators=[Optional()])
    planned_end = IsoDateField("Planned end", validators=[Optional()])
    owner_id = SelectField("Owner", coerce=_int_or_none, validators=[Optional()])
    success_criteria = TextAreaField("Success criteria", validators=[Length(max=5000)])
    notes = TextAreaField("Notes", validators=[Length(max=10000)])
    version = HiddenField()

    def set_choices(self, customers, hyperscalers, people) -> None:
        self.customer_id.choices = [SelectChoice(c.id, c.name) for c in customers]
        self.hyperscaler_id.choices = [SelectChoice(h.id, h.name) for h in hyperscalers]
        self.owner_id.choices = [SelectChoice("", "No owner yet")] + [
            SelectChoice(p.id, p.name) for p in people]

    def validate_planned_end(self, field):
        if field.data and self.planned_start.data and field.data < self.planned_start.data:
            raise ValidationError("The end date is before the start date.")

    def version_value(self) -> int | None:
        return int(self.version.data) if (self.version.data or "").isdigit() else None


class CustomerForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    segment = StringField("Segment", validators=[Length(max=120)])
    account_owner_id = SelectField("Account owner", coerce=_int_or_none, validators=[Optional()])
    hyperscalers = SelectMultipleField("Hyperscalers considered", coerce=int,
                                       widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput())
    notes = TextAreaField("Notes", validators=[Length(max=10000)])

    def set_choices(self, hyperscalers, people) -> None:
        self.hyperscalers.choices = [SelectChoice(h.id, h.name) for h in hyperscalers]
        self.account_owner_id.choices = [SelectChoice("", "No account owner")] + [
            SelectChoice(p.id, p.name) for p in people]


class StageForm(FlaskForm):
    stage = SelectField("Stage", choices=stage_choices())
    version = IntegerField(validators=[InputRequired(message="Reload the page and try again.")])


_TO = re.compile(r"^(\d{1,9}):(\d{1,9})$")


class MoveForm(FlaskForm):
    """A move: `to` is `<hyperscaler id>:<position>`; `expected` the board token the client
    saw (`sequencing.parse_token`)."""

    to = StringField(validators=[InputRequired(message="Say where to move the POC.")])
    expected = StringField(validators=[InputRequired(message="Reload the page and try again."),
                                       Length(max=2000)])

    def validate_to(self, field):
        if not _TO.match(field.data or ""):
            raise ValidationError("The place to move to is not readable. Reload the page.")

    @property
    def target(self) -> tuple[int, int]:
        hyperscaler_id, position = _TO.match(self.to.data).groups()
        return int(hyperscaler_id), int(position)


class HyperscalerForm(FlaskForm):
    """A new hyperscaler, or a new name (`expected_name`: the name the page showed)."""

    name = StringField("Name", validators=[
        DataRequired("Give the hyperscaler a name."),
        Length(max=NAME_MAX, message=f"Keep the name within {NAME_MAX} characters.")])
    expected_name = StringField(validators=[Optional(), Length(max=200)])


class RankForm(FlaskForm):
    direction = SelectField(choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")])
    expected = StringField(validators=[InputRequired(message="Reload the page and try again."),
                                       Length(max=2000)])

    def expected_ids(self) -> list[int] | None:
        try:
            return [int(i) for i in self.expected.data.split(",") if i]
        except ValueError:
            return None


class LinkToPocForm(FlaskForm):
    """An action item's link to a POC, the POC chosen by name; whether it still exists is
    the domain function's check (`service.link_item_to_poc`)."""

    poc_id = IdSelectField("POC")

    def set_choices(self, choices: list[tuple[int, str]]) -> None:
        self.poc_id.choices = [SelectChoice("", "Choose a POC…")] + [
            SelectChoice(str(pid), name) for pid, name in choices]

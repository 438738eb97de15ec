"""Forms of the program pages: the program itself and its milestones. Unknown zones pass
the form and are refused by the domain functions with a message beside the field."""
from __future__ import annotations

from dataclasses import replace

from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from portal.forms import IsoDateField, Versioned, zone_groups
from portal.program import setup


class VersionedConfirmForm(Versioned, FlaskForm):
    """A button-only form that carries the version of the row the page showed."""


class ProgramForm(Versioned, FlaskForm):
    """The program's own fields: on the setup page and on the program page."""

    name = StringField("Program name", validators=[DataRequired("Give the program a name."),
                                                   Length(max=setup.NAME_MAX)])
    target_date = IsoDateField("Readiness date", validators=[
        InputRequired("Give the date the program must be ready by.")])
    timezone = SelectField("Time zone", validate_choice=False)
    description = TextAreaField("Description", validators=[Length(max=setup.DESCRIPTION_MAX)])

    def set_zones(self, default: str) -> None:
        """The zones grouped by region; a stored zone outside the list stays choosable."""
        if not self.timezone.data:
            self.timezone.data = default
        self.timezone.choices = zone_groups(self.timezone.data)

    def values(self) -> setup.ProgramValues:
        return setup.ProgramValues(name=self.name.data or "", target_date=self.target_date.data,
                                   timezone=self.timezone.data or "",
                                   description=self.description.data or "")


class ProgramPageForm(ProgramForm):
    """The program page: the program's fields and its health rule. The two numbers stay
    text here so that the domain's checks word every refusal (setup.clean_grace_days): an
    empty field is "", refused by name; a field the post did not carry (a page opened
    before it existed) is None, which leaves the setting as it is."""

    health_grace_days = StringField("Grace period, days")
    health_min_share = StringField("Minimum share of late items, %")

    def values(self) -> setup.ProgramValues:
        return replace(super().values(),
                       health_grace_days=self.health_grace_days.data,
                       health_min_share=self.health_min_share.data)


class MilestoneForm(Versioned, FlaskForm):
    name = StringField("Milestone", validators=[DataRequired("Give the milestone a name."),
                                                Length(max=setup.NAME_MAX)])
    due_date = IsoDateField("Date", validators=[InputRequired("Give the milestone's date.")])
    description = TextAreaField("Description", validators=[Length(max=setup.DESCRIPTION_MAX)])

    def values(self) -> setup.MilestoneValues:
        return setup.MilestoneValues(name=self.name.data or "", due_date=self.due_date.data,
                                     description=self.description.data or "")

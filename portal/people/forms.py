"""Forms of the people pages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.forms import Versioned, ZoneField
from portal.people.service import MAX_EMAIL, MAX_NAME

KIND_CHOICES = [SelectChoice("person", "Person"), SelectChoice("team", "Team")]


class PersonForm(Versioned, FlaskForm):
    """Name, email, kind and time zone (and, to edit, the version they were opened at); the
    service checks uniqueness and the zone."""

    name = StringField("Name", validators=[DataRequired("A name is required."),
                                           Length(max=MAX_NAME)])
    email = StringField("Email", validators=[Length(max=MAX_EMAIL)])
    kind = SelectField("Person or team", choices=KIND_CHOICES, default="person")
    timezone = ZoneField("Time zone", empty="The program's time zone")

    def values(self) -> dict:
        """The person's fields as create_person and update_person take them."""
        return {"name": self.name.data, "email": self.email.data, "kind": self.kind.data,
                "timezone": self.timezone.data}


class AliasForm(FlaskForm):
    alias = StringField("Other spelling", validators=[DataRequired("Type the other spelling "
                                                                   "first."),
                                                      Length(max=MAX_NAME)])


class AliasRemoveForm(FlaskForm):
    alias_id = HiddenField()

"""Forms of the reminder pages: a person's preferences, the admin's reminder points."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.clock import known_zones
from portal.forms import IsoDateField, ZoneField
from portal.reminders.policy import ReminderSettings

HOUR_CHOICES = [SelectChoice(str(hour), f"{hour:02d}:00") for hour in range(24)]


class PreferencesForm(FlaskForm):
    reminders = BooleanField("Send reminder mails", default=True)
    send_hour = SelectField("Send hour", choices=HOUR_CHOICES, validators=[InputRequired()])
    timezone = ZoneField("Time zone", empty="The program's time zone")
    weekdays_only = BooleanField("Weekdays only (weekend reminders come on Friday or Monday)")
    overdue_only = BooleanField("Only remind me of overdue items")
    pause_from = IsoDateField("Pause from", validators=[Optional()])
    pause_until = IsoDateField("Pause until", validators=[Optional()])

    def values(self) -> dict:
        """The preferences as the person stores them."""
        return {"send_hour": int(self.send_hour.data), "timezone": self.timezone.data or None,
                "weekdays_only": self.weekdays_only.data, "overdue_only": self.overdue_only.data,
                "pause_from": self.pause_from.data, "pause_until": self.pause_until.data,
                "reminders_off": not self.reminders.data}

    def load(self, person) -> None:
        """Fills the form from `person` (a GET)."""
        self.process(obj=person)
        self.send_hour.data = str(person.send_hour)
        self.reminders.data = not person.reminders_off

    def validate_send_hour(self, field):
        if field.data not in {c.value for c in HOUR_CHOICES}:
            raise ValidationError("Choose an hour between 00:00 and 23:00.")

    def validate_timezone(self, field):
        if field.data and (len(field.data) > 64 or field.data not in known_zones()):
            raise ValidationError("Unknown time zone: choose one from the list.")

    def validate_pause_until(self, field):
        if self.pause_from.data and field.data and field.data < self.pause_from.data:
            raise ValidationError("The pause must end on or after the day it starts.")


class SettingsForm(FlaskForm):
    days_before = StringField("Days before the due date", validators=[Length(max=60)])
    on_due_date = BooleanField("On the due date")
    overdue_first = IntegerField("First overdue reminder, days after the due date",
                                 validators=[InputRequired(), NumberRange(1, 60)])
    overdue_every = IntegerField("Then every N days while overdue",
                                 validators=[InputRequired(), NumberRange(1, 60)])
    escalate_after = IntegerField("Escalate to the workstream lead after N days overdue",
                                  validators=[InputRequired(), NumberRange(0, 365)])

    def validate_days_before(self, field):
        text = (field.data or "").replace(";", ",")
        values = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 90:
                raise ValidationError("Whole numbers from 1 to 90, separated by commas.")
            values.append(int(part))
        if len(values) > 10:
            raise ValidationError("At most 10 reminders before the due date.")
        self.parsed_days = tuple(sorted(set(values), reverse=True))

    def load(self, settings: ReminderSettings) -> None:
        """Fills the form from the stored reminder points (a GET)."""
        self.days_before.data = ", ".join(str(d) for d in settings.days_before)
        self.on_due_date.data = settings.on_due_date
        self.overdue_first.data = settings.overdue_first
        self.overdue_every.data = settings.overdue_every
        self.escalate_after.data = settings.escalate_after

    def values(self) -> ReminderSettings:
        """The reminder points the valid form asks for."""
        return ReminderSettings(
            days_before=self.parsed_days, on_due_date=self.on_due_date.data,
            overdue_first=self.overdue_first.data, overdue_every=self.overdue_every.data,
            escalate_after=self.escalate_after.data)

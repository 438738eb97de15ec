"""Login and user-administration forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from portal.program.forms import an_id
from portal.vocab import ROLES

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
MIN_PASSWORD_LENGTH = 12
# The most common passwords of twelve characters or more; anything on it is refused.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012", "1234567890123", "password1234", "password12345", "qwertyuiop12",
        "qwertyuiopas", "iloveyou1234", "aaaaaaaaaaaa", "passwordpassword", "111111111111",
        "000000000000", "letmein12345", "welcome12345", "administrator", "changeme1234",
        "qwerty123456", "1q2w3e4r5t6y", "abcdefghijkl", "abc123456789", "football1234",
        "monkey123456", "sunshine1234", "princess1234", "trustno11234", "readinessportal",
    }
)


def strong_password(form, field):
    password = field.data or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValidationError("This password is too common; choose another.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class UserCreateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="owner")
    password = PasswordField(
        "Initial password", validators=[Optional(), Length(max=200), strong_password]
    )


class UserPersonForm(FlaskForm):
    """Which person a login acts as; the domain function refuses people with a login."""

    user_id = SelectField("Login", coerce=an_id, validate_choice=False,
                          validators=[InputRequired()])
    person_id = SelectField("Acts as", coerce=an_id, validate_choice=False,
                            validators=[InputRequired()])


class InviteForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, default="owner")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter the email of your login."),
                                            Length(max=254)])


class ChoosePasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=200), strong_password]
    )
    confirm = PasswordField("The same password again", validators=[
        DataRequired(), EqualTo("password", "The two passwords differ.")])


class UserEditForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active")


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=200), strong_password]
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=200), strong_password]
    )

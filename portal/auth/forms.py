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

from portal.auth import passwords
from portal.forms import IdSelectField
from portal.vocab import ROLES

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
def strong_password(form, field):
    """`passwords.problem` for the person the form is about: the view sets
    `form.password_owner` (email, name); a form that creates a login reads its own."""
    owner = getattr(form, "password_owner", None) or (
        getattr(getattr(form, "email", None), "data", None),
        getattr(getattr(form, "name", None), "data", None))
    message = passwords.problem(field.data, owner)
    if message:
        raise ValidationError(message)


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

    user_id = IdSelectField("Login", validators=[InputRequired()])
    person_id = IdSelectField("Acts as", validators=[InputRequired()])


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

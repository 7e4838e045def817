"""The IdP's forms (Flask-WTF: every one carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Stay signed in")


class SignUpForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False),
                                            Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])


class FinishSignUpForm(FlaskForm):
    """The button behind a mailed sign-up link; the link's token rides in the form."""

    token = HiddenField(validators=[DataRequired(), Length(max=100)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(),
                                                             Length(min=10, max=200)])


class ActionForm(FlaskForm):
    """A button that changes state: nothing but the CSRF token."""

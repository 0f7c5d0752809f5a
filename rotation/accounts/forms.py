from wtforms import BooleanField, PasswordField, SelectChoice, SelectMultipleField, StringField  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from rotation.accounts.services import MAX_PASSWORD_LENGTH, password_problem
from rotation.forms import Form
from rotation.roles import ADMIN, HR, LABELS, MANAGER, OWNER, ROLES

# What each role lets its holder do, in a line: shown beside its checkbox.
ROLE_MEANINGS = {
    HR: "Keeps the roster and the sites, plans the year's shifts and answers change requests.",
    MANAGER: "Works frontline shifts and files observations. Everyone in the rotation is one without this box.",
    OWNER: "Triages what is observed in the process areas they own and sees the problems through to a fix.",
    ADMIN: "Manages accounts and their roles, and keeps the process map and its owners.",
}


class LoginForm(Form):
    email = StringField("E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")


class SetPasswordForm(Form):
    """A new password, twice, chosen through a password link (no current password: the link stands for it)."""

    new = PasswordField("New password", validators=[DataRequired("Choose a password.")],
                        render_kw={"autocomplete": "new-password", "autofocus": True},
                        description="At least 10 characters. A few unrelated words make a good one.")
    confirm = PasswordField("New password again",
                            validators=[DataRequired("Type the password again."),
                                        EqualTo("new", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})

    def __init__(self, email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_new(self, field):
        problem = password_problem(field.data or "", self._email)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(SetPasswordForm):
    """The signed-in account's new password, twice, after its current one."""

    current = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("New password", validators=[DataRequired("Choose a new password.")],
                        render_kw={"autocomplete": "new-password"},
                        description="At least 10 characters. A few unrelated words make a good one.")
    confirm = PasswordField("New password again",
                            validators=[DataRequired("Type the new password again."),
                                        EqualTo("new", "The two new passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class ForgotPasswordForm(Form):
    email = StringField("E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email", "autofocus": True},
                        description="The address you sign in with, or the one HR has for you in the roster.")


class RolesField(SelectMultipleField):
    """The roles as checkboxes; none ticked is an empty list (the service says whether that is allowed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str = "Roles", **kwargs):
        super().__init__(label, choices=[SelectChoice(role, LABELS[role]) for role in ROLES], **kwargs)


class RolesForm(Form):
    roles = RolesField()


class NewAccountForm(RolesForm):
    email = StringField("E-mail", validators=[DataRequired("Enter the person's e-mail address."), Length(max=254)],
                        render_kw={"autocomplete": "off", "inputmode": "email", "autofocus": True},
                        description="Their work address: the link to set a password goes there, and they sign "
                                    "in with it.")
    name = StringField("Name", validators=[Length(max=200)], render_kw={"autocomplete": "off"},
                       description="As Rotation shows it. Leave it empty for someone in the roster to use "
                                   "the roster's name.")

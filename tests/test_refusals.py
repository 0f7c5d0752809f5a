"""One way to refuse: a refused service call leaves nothing behind, and its sentence is shown beside its field."""
import re

import pytest
import sqlalchemy as sa
from click import ClickException
from flask import render_template_string
from wtforms import StringField

from rotation.extensions import db
from rotation.forms import Form
from rotation.plans.planner import PlanningError
from rotation.refusals import FieldRefusal, Refusal, all_or_nothing, command_change
from rotation.security import public
from rotation.sites.models import Site
from tests.helpers import csrf_token


class NameForm(Form):
    name = StringField("Name")
    region = StringField("Region")


def site_names() -> list[str]:
    return list(db.session.scalars(sa.select(Site.name).order_by(Site.code)))


def test_every_refusal_is_a_field_problems_and_says_its_sentence():
    one = FieldRefusal("name", "Choose another name.")
    whole = FieldRefusal(None, "It is already gone.")
    several = Refusal({"name": "Choose another name.", None: "It is already gone."})
    assert isinstance(one, Refusal) and isinstance(one, ValueError)
    assert (one.field, one.message, one.reasons, str(one)) == (
        "name", "Choose another name.", {"name": "Choose another name."}, "Choose another name.")
    assert (whole.field, whole.message) == (None, "It is already gone.")
    assert several.message == str(several) == "Choose another name. It is already gone."
    planning = PlanningError("2031 has no slots yet.")
    assert isinstance(planning, FieldRefusal) and (planning.field, planning.message) == (None, "2031 has no slots yet.")


def test_a_refusal_is_shown_beside_its_field_or_above_the_form_once(app):
    with app.test_request_context(method="POST", data={"name": "Helsinki", "region": "Nordics"}):
        form = NameForm(meta={"csrf": False})
        form.validate()
        form.show_refusal(FieldRefusal("name", "Choose another name."))
        form.show_refusal(FieldRefusal("name", "Choose another name."))
        form.show_refusal(Refusal({"region": "Unknown region.", None: "The site was removed.",
                                         "nowhere": "A field this form does not have."}))
        form.show_refusal(FieldRefusal(None, "The site was removed."))
        assert form.name.errors == ["Choose another name."]
        assert form.region.errors == ["Unknown region."]
        assert form.form_errors == ["The site was removed.", "A field this form does not have."]


def test_a_refused_call_leaves_the_session_as_before_it_and_keeps_what_came_before(app, make_site):
    site = make_site("HEL", name="Helsinki")
    db.session.add(Site(code="OUL", name="Oulu", kind="warehouse", timezone="Europe/Helsinki", seats=1))
    db.session.flush()
    with pytest.raises(FieldRefusal), all_or_nothing():
        site.name = "Half renamed"
        db.session.add(Site(code="TKU", name="Turku", kind="warehouse", timezone="Europe/Helsinki", seats=1))
        db.session.flush()
        raise FieldRefusal("name", "Choose another name.")
    assert site.name == "Helsinki"
    db.session.commit()
    db.session.expire_all()
    assert site_names() == ["Helsinki", "Oulu"]


def test_a_call_that_goes_through_is_kept_only_when_the_request_commits(app, make_site):
    site = make_site("HEL", name="Helsinki")
    with all_or_nothing():  # the first statement of the transaction: on SQLite the savepoint must still nest
        site.name = "Helsinki centre"
    db.session.rollback()
    db.session.expire_all()
    assert site_names() == ["Helsinki"]


def rename(site: Site, name: str) -> None:
    """A service that writes, then refuses."""
    site.name = name
    db.session.flush()
    raise FieldRefusal("name", f"{name} is too much like another site's name.")


@pytest.fixture
def renaming_app(make_app):
    """An app with a page that renames a site through ``rename``, the way every page calls a service."""
    app = make_app()

    @public
    def rename_page(site_id: int):
        site = db.session.get_one(Site, site_id)
        form = NameForm()
        if form.validate_on_submit():
            try:
                with all_or_nothing():
                    rename(site, form.name.data or "")
            except FieldRefusal as refusal:
                form.show_refusal(refusal)
        return render_template_string(
            '{% from "forms.html" import field, form_errors %}<h1>{{ site.name }}</h1>'
            "<form method=post>{{ form.csrf_token }}{{ form_errors(form) }}{{ field(form.name) }}</form>",
            site=site, form=form)

    app.add_url_rule("/test/sites/<int:site_id>/rename", view_func=rename_page, methods=["GET", "POST"])
    with app.app_context():
        yield app


def test_a_page_refused_by_its_service_shows_the_sentence_beside_the_field_and_writes_nothing(
        renaming_app, make_site):
    client = renaming_app.test_client()
    site_id = make_site("HEL", name="Helsinki").id
    url = f"/test/sites/{site_id}/rename"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "name": "Helsinky"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Helsinki</h1>" in page  # not the half-applied name
    error = re.search(r'<small id="name-error" class="field-error">(.*?)</small>', page)
    assert error and error.group(1) == "Helsinky is too much like another site&#39;s name."
    db.session.remove()
    assert site_names() == ["Helsinki"]


def test_a_command_refused_rolls_back_and_says_why(app, make_site):
    site = make_site("HEL", name="Helsinki")
    with pytest.raises(ClickException, match=r"^Choose another name.$"), command_change():
        site.name = "Half renamed"
        db.session.flush()
        raise FieldRefusal("name", "Choose another name.")
    db.session.expire_all()
    assert site_names() == ["Helsinki"]
    with command_change():
        site.name = "Helsinki centre"
    db.session.remove()
    assert site_names() == ["Helsinki centre"]

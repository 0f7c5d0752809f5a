import io

import sqlalchemy as sa

from rotation.extensions import db
from rotation.imports.models import PendingImport
from rotation.people.models import Person
from rotation.sites.models import Site
from tests.conftest import csrf_token
from tests.imports_helpers import PEOPLE, SITES, count


def upload(client, kind: str, text: str | bytes, name: str = "file.csv", deactivate: bool = False):
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    data = {"csrf_token": token, "kind": kind,
            "file": (io.BytesIO(text.encode() if isinstance(text, str) else text), name)}
    if deactivate:
        data["deactivate_missing"] = "y"
    return client.post("/imports", data=data, content_type="multipart/form-data")


def confirm(client, preview_url: str):
    token = csrf_token(client.get(preview_url).get_data(as_text=True))
    return client.post(preview_url + "/confirm", data={"csrf_token": token})


def test_upload_preview_confirm(client, login_as):
    login_as("hr")
    response = upload(client, "sites", SITES, "sites.csv")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "The file is valid: 2 added, 0 updated, 0 deactivated, 0 unchanged" in preview
    assert "Helsinki contact centre" in preview
    assert count(Site) == 0  # nothing written before the confirmation
    done = confirm(client, preview_url)
    assert done.status_code == 302 and done.headers["Location"] == "/sites"
    assert count(Site) == 2
    assert count(PendingImport) == 0


def test_preview_lists_every_problem_with_line_column_and_value(client, login_as):
    login_as("hr")
    bad = "employee_id,full_name,email,department\nE1,A,not-an-address,Ops\nE1,B,b@example.com,Ops\n"
    preview = client.get(upload(client, "people", bad).headers["Location"]).get_data(as_text=True)
    assert "2 problems — nothing can be imported" in preview
    assert '<td data-label="Line">2</td>' in preview and "<code>not-an-address</code>" in preview
    assert '<td data-label="Line">3</td>' in preview and "The employee id is used twice: already on line 2." in preview
    assert "Confirm and import" not in preview


def test_confirm_rechecks_the_file_and_writes_nothing_when_it_no_longer_fits(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC")
    make_site(code="TMP-WH", kind="warehouse")
    preview_url = upload(client, "people", PEOPLE).headers["Location"]
    assert "4 added" in client.get(preview_url).get_data(as_text=True)
    token = csrf_token(client.get(preview_url).get_data(as_text=True))
    db.session.execute(sa.delete(Site).where(Site.code == "TMP-WH"))  # someone removes a home site meanwhile
    db.session.commit()
    response = client.post(preview_url + "/confirm", data={"csrf_token": token})
    assert response.headers["Location"] == preview_url
    assert "Unknown home site" in client.get(preview_url).get_data(as_text=True)
    assert count(Person) == 0


def test_deactivate_missing_from_the_page(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC")
    make_site(code="TMP-WH", kind="warehouse")
    confirm(client, upload(client, "people", PEOPLE).headers["Location"])
    fewer = PEOPLE.replace("E4,Ben Expert,ben@example.com,Finance,E1,,yes\n", "")
    preview_url = upload(client, "people", fewer, deactivate=True).headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "0 added, 0 updated, 1 deactivated, 3 unchanged" in preview and "Ben Expert" in preview
    confirm(client, preview_url)
    assert db.session.scalar(sa.select(Person.is_active).where(Person.employee_id == "E4")) is False


def test_upload_form_errors_beside_the_fields(client, login_as):
    login_as("hr")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    page = client.post("/imports", data={"csrf_token": token, "kind": "people"},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'id="file-error"' in page and "Choose a CSV file to upload." in page
    page = upload(client, "people", b"\x89PNG", "photo.png").get_data(as_text=True)
    assert "Upload a .csv file" in page
    assert count(PendingImport) == 0


def test_another_hr_user_cannot_see_my_upload(client, login_as, post_form):
    login_as("hr")
    preview_url = upload(client, "sites", SITES).headers["Location"]
    post_form("/logout", {}, page="/")
    login_as("hr")
    assert client.get(preview_url).status_code == 404


def test_a_manager_cannot_import(client, login_as):
    login_as("manager")
    assert client.get("/imports").status_code == 403

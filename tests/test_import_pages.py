import sqlalchemy as sa

from rotation.extensions import db
from rotation.imports.models import CHECKED, IMPORTED, PendingImport
from rotation.jobs.models import Job
from rotation.jobs.queue import run_pending
from rotation.people.models import Person
from rotation.sites.models import Site
from tests.helpers import csrf_token
from tests.imports_helpers import PEOPLE, SITES, confirm, count, upload


def test_upload_preview_confirm(client, login_as):
    login_as("hr")
    response = upload(client, "sites", SITES, "sites.csv", worker=False)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    checking = client.get(preview_url).get_data(as_text=True)
    assert "Checking the file…" in checking and "Confirm and import" not in checking
    assert f'data-progress-url="{preview_url}/progress"' in checking
    assert client.get(preview_url + "/progress").get_json()["done"] is False

    run_pending(worker="test-worker")
    assert client.get(preview_url + "/progress").get_json()["done"] is True
    preview = client.get(preview_url).get_data(as_text=True)
    assert "The file is valid: 2 added, 0 updated, 0 deactivated, 0 unchanged" in preview
    assert "Helsinki contact centre" in preview
    assert count(Site) == 0  # nothing written before the confirmation

    done = confirm(client, preview_url, worker=False)
    assert done.status_code == 302 and done.headers["Location"] == preview_url
    importing = client.get(preview_url).get_data(as_text=True)
    assert "Importing sites.csv." in importing
    assert "Importing 2 added, 0 updated, 0 deactivated, 0 unchanged…" in importing
    assert count(Site) == 0
    run_pending(worker="test-worker")
    imported = client.get(preview_url).get_data(as_text=True)
    assert "Imported: 2 added, 0 updated, 0 deactivated, 0 unchanged" in imported
    assert 'href="/sites"' in imported
    assert count(Site) == 2
    assert db.session.scalar(sa.select(PendingImport.status)) == IMPORTED
    assert db.session.scalar(sa.select(PendingImport.content)) == b""  # the file is not kept once written
    assert "imported: 2 added" in client.get("/imports").get_data(as_text=True)  # under Your recent imports


def test_a_confirmation_sent_twice_imports_once(client, login_as):
    login_as("hr")
    preview_url = upload(client, "sites", SITES, "sites.csv").headers["Location"]
    token = csrf_token(client.get(preview_url).get_data(as_text=True))
    for _ in range(2):
        assert client.post(preview_url + "/confirm", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 2  # the check and one import
    run_pending(worker="test-worker")
    assert count(Site) == 2


def test_an_upload_being_imported_cannot_be_discarded(client, login_as):
    login_as("hr")
    preview_url = upload(client, "sites", SITES, "sites.csv").headers["Location"]
    confirm(client, preview_url, worker=False)
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    refused = client.post(preview_url + "/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert "is being imported; it can no longer be discarded" in refused.get_data(as_text=True)
    run_pending(worker="test-worker")
    assert count(Site) == 2


def test_an_upload_discarded_before_the_worker_checks_it_is_simply_gone(client, login_as):
    login_as("hr")
    preview_url = upload(client, "sites", SITES, "sites.csv", worker=False).headers["Location"]
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    client.post(preview_url + "/cancel", data={"csrf_token": token})
    [outcome] = run_pending(worker="test-worker")
    assert outcome.finished and "discarded" in outcome.line
    assert count(PendingImport) == 0 and count(Site) == 0


def test_an_upload_no_worker_takes_says_whom_to_ask(client, login_as):
    from datetime import timedelta

    from rotation.db import utcnow

    login_as("hr")
    preview_url = upload(client, "sites", SITES, "sites.csv", worker=False).headers["Location"]
    db.session.execute(sa.update(Job).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert "ask your administrator to start it" in client.get(preview_url).get_data(as_text=True)


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
    run_pending(worker="test-worker")
    page = client.get(preview_url).get_data(as_text=True)
    assert "the file no longer fits the data" in page and "Unknown home site" in page
    assert "Confirm and import" not in page
    assert count(Person) == 0
    assert db.session.scalar(sa.select(PendingImport.status)) == CHECKED


def test_a_file_the_worker_stops_on_says_so_and_writes_nothing(client, login_as, make_site, monkeypatch):
    from rotation.imports import background

    login_as("hr")
    make_site(code="HEL-CC")
    make_site(code="TMP-WH", kind="warehouse")
    preview_url = upload(client, "people", PEOPLE).headers["Location"]

    def broken(plan):
        plan.write()
        raise RuntimeError("disk full")

    monkeypatch.setattr(background, "apply", broken)
    confirm(client, preview_url)
    page = client.get(preview_url).get_data(as_text=True)
    assert "Nothing was imported: It stopped: RuntimeError: disk full" in page
    assert count(Person) == 0  # what it had written was rolled back
    assert db.session.scalar(sa.select(Job.status).order_by(Job.id.desc()).limit(1)) == "failed"


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

"""Helpers for import tests: write a CSV, run the command or upload it on the Imports page, count what is stored."""
from __future__ import annotations

import io

import sqlalchemy as sa

from rotation.extensions import db
from rotation.jobs.queue import run_pending
from tests.helpers import csrf_token

SITES = """code,name,kind,timezone,region,seats,shift_start,shift_end
HEL-CC,Helsinki contact centre,contact_center,Europe/Helsinki,Nordics,3,09:00,17:00
TMP-WH,Tampere warehouse,warehouse,Europe/Helsinki,Nordics,4,,
"""

PEOPLE = """employee_id,full_name,email,department,manager_id,home_site,in_rotation
E1,"Esposito, Carla",ceo@example.com,Executive,,HEL-CC,
E2,Maria Jansen,maria@example.com,Operations,E1,TMP-WH,
E3,Anna Worker,anna@example.com,Operations,E2,,
E4,Ben Expert,ben@example.com,Finance,E1,,yes
"""


def run_import(runner, tmp_path, kind: str, text: str | bytes, *options: str, name: str | None = None):
    path = tmp_path / (name or f"{kind}.csv")
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return runner.invoke(args=[kind, "import", str(path), *options])


def count(model) -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def upload(client, kind: str, text: str | bytes, name: str = "file.csv", deactivate: bool = False,
           worker: bool = True):
    """Upload a file on the Imports page; with ``worker`` the background worker then checks it."""
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    data = {"csrf_token": token, "kind": kind,
            "file": (io.BytesIO(text.encode() if isinstance(text, str) else text), name)}
    if deactivate:
        data["deactivate_missing"] = "y"
    response = client.post("/imports", data=data, content_type="multipart/form-data")
    if worker:
        run_pending(worker="test-worker")
    return response


def confirm(client, preview_url: str, worker: bool = True):
    """Confirm the preview; with ``worker`` the background worker then imports the file."""
    token = csrf_token(client.get(preview_url).get_data(as_text=True))
    response = client.post(preview_url + "/confirm", data={"csrf_token": token})
    if worker:
        run_pending(worker="test-worker")
    return response

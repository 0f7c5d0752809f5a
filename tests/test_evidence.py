"""Evidence files: what is accepted, photos kept without their metadata, files in step with the database, and
who may download them."""
from __future__ import annotations

import io
import os
import stat
import struct
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.extensions import db
from rotation.observations.evidence import MAX_BYTES, MAX_FILES, EvidenceProblem, delete, path_of, store
from rotation.observations.models import DRAFT, SUBMITTED, Evidence, Observation, Second
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.roles import ADMIN, MANAGER, OWNER
from rotation.sites.models import Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import PASSWORD, csrf_token

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSV_BYTES = "\ufefforder,problem\r\n1001,Refund took 14 days\r\n1002,\"Courier said \"\"not home\"\"\"\r\n".encode()


# --- Fixtures and helpers ---------------------------------------------------------------------------------------

@pytest.fixture
def company(make_site, make_person):
    """A contact centre, a process map (Customer service › Returns), two managers with a shift each, and a
    submitted observation by the first in Returns."""
    site = make_site("HEL-CC", name="Helsinki contact centre")
    author = make_person("E100", full_name="Aino Author")
    other = make_person("E101", full_name="Olli Other")
    generate_slots(next_year())
    slot = db.session.scalars(sa.select(Slot).where(Slot.site_id == site.id).order_by(Slot.first_day)).first()
    shifts = [Assignment(person_id=person.id, slot_id=slot.id, year=next_year(), kind=slot.kind, status=PUBLISHED)
              for person in (author, other)]
    service = ProcessArea(name="Customer service")
    db.session.add_all([*shifts, service])
    db.session.flush()
    returns = ProcessArea(name="Returns", parent_id=service.id)
    db.session.add(returns)
    db.session.flush()
    observation = Observation(assignment_id=shifts[0].id, author_id=author.id, area_id=returns.id,
                              status=SUBMITTED, kind="contact", title="Return labels never arrive",
                              what_happened="Customers call back because the label e-mail is missing.", severity=3)
    db.session.add(observation)
    db.session.commit()
    return {"author": author, "other": other, "shifts": shifts, "service": service, "returns": returns,
            "observation": observation}


def upload(data: bytes, filename: str, content_type: str = "application/octet-stream") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def keep(company, data: bytes, filename: str, **kwargs) -> Evidence:
    observation = company["observation"]
    return store(upload(data, filename, **kwargs), observation_id=observation.id,
                 uploaded_by_id=observation.author_id)


def stored_files(app) -> list[Path]:
    root = Path(app.config["ROTATION_EVIDENCE_DIR"])
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def rows() -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(Evidence)).scalar_one()


def jpeg(size=(40, 20), **save) -> bytes:
    """Left half red, right half blue."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, **save)
    return out.getvalue()


def noisy_jpeg() -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(out, "JPEG")
    return out.getvalue()


def camera_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: orientation, make and model, time, and where the photo was taken."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel 12"
    exif[0x0132] = "2026:03:01 10:15:00"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (60.0, 10.0, 12.5), 3: "E", 4: (24.0, 56.0, 1.0)})
    return exif


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds no picture: how a decompression bomb starts."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def assert_no_metadata(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    assert not image.getexif()
    for key in ("exif", "comment", "icc_profile", "xmp", "XML:com.adobe.xmp", "photoshop", "Comment",
                "Description", "Author"):
        assert key not in image.info, key
    assert not getattr(image, "text", {})
    data = path.read_bytes()
    for secret in (b"PhoneMaker", b"PhoneModel", b"secret", b"fake icc", b"xmpmeta", b"Exif\x00"):
        assert secret not in data, secret
    return image


class Browser:
    """A test client with its own cookies, each request in an app context of its own as in production (the
    test's app context would otherwise carry the signed-in account from one client to the next)."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def get(self, url: str, **kwargs):
        with self.app.app_context():
            return self.client.get(url, **kwargs)

    def post(self, url: str, **kwargs):
        with self.app.app_context():
            return self.client.post(url, **kwargs)


def signed_in_client(app, user) -> Browser:
    browser = Browser(app)
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    response = browser.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


# --- Photos lose their metadata -----------------------------------------------------------------------------

def test_a_phone_photo_is_kept_upright_without_location_camera_or_comment(app, company):
    original = jpeg(exif=camera_exif(orientation=6), comment=b"secret comment", icc_profile=b"fake icc profile",
                    xmp=b"<x:xmpmeta>secret place</x:xmpmeta>")
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825) and before.info["comment"] == b"secret comment"
        assert "icc_profile" in before.info and "xmp" in before.info

    evidence = keep(company, original, "IMG_0001.JPG", content_type="image/jpeg")
    db.session.commit()

    path = path_of(evidence)
    image = assert_no_metadata(path)
    assert image.format == "JPEG"
    # Orientation 6 means "turn a quarter clockwise to view": the stored photo is already turned.
    assert image.size == (20, 40)
    top, bottom = image.convert("RGB").getpixel((10, 5)), image.convert("RGB").getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    data = path.read_bytes()
    assert (evidence.filename, evidence.content_type) == ("IMG_0001.jpg", "image/jpeg")
    assert evidence.size_bytes == len(data) and evidence.sha256 == __import__("hashlib").sha256(data).hexdigest()


def test_a_png_loses_its_text_exif_and_colour_profile_but_keeps_transparency(app, company):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret comment")
    info.add_text("Author", "secret author")
    info.add_itxt("Description", "secret description")
    image = Image.new("RGBA", (10, 10), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 5, 10))
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=camera_exif(), icc_profile=b"fake icc profile")
    with Image.open(io.BytesIO(out.getvalue())) as before:
        assert before.text["Comment"] == "secret comment" and before.getexif()

    evidence = keep(company, out.getvalue(), "screen shot.png")
    db.session.commit()

    after = assert_no_metadata(path_of(evidence))
    assert after.format == "PNG" and after.mode == "RGBA"
    assert after.getpixel((1, 1))[3] == 0 and after.getpixel((8, 1)) == (0, 128, 0, 255)
    assert evidence.filename == "screen_shot.png"


def test_webp_and_gif_photos_lose_their_metadata_too(app, company):
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(out, "WEBP", exif=camera_exif(), icc_profile=b"fake icc",
                                                   xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    with Image.open(io.BytesIO(out.getvalue())) as before:
        assert {"exif", "icc_profile", "xmp"} <= set(before.info)
    webp = keep(company, out.getvalue(), "photo.webp")
    out = io.BytesIO()
    Image.new("RGBA", (16, 16), (1, 2, 3, 4)).save(out, "WEBP", lossless=True, icc_profile=b"fake icc " * 500,
                                                   exif=camera_exif())
    screenshot = keep(company, out.getvalue(), "screenshot.webp")

    out = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0,
                   comment=b"secret comment")
    with Image.open(io.BytesIO(out.getvalue())) as before:
        assert before.info["comment"] == b"secret comment" and before.n_frames == 3
    gif = keep(company, out.getvalue(), "anim.gif")
    db.session.commit()

    assert assert_no_metadata(path_of(webp)).format == "WEBP"
    assert assert_no_metadata(path_of(screenshot)).getpixel((0, 0)) == (1, 2, 3, 4)  # lossless stays exact
    after = assert_no_metadata(path_of(gif))
    assert after.format == "GIF" and after.n_frames == 3 and after.info["duration"] == 200
    assert (webp.content_type, gif.content_type) == ("image/webp", "image/gif")


# --- Other files are kept as they are -----------------------------------------------------------------------

def test_a_pdf_and_a_csv_are_kept_byte_for_byte(app, company):
    pdf = keep(company, PDF_BYTES, "Refund policy.PDF", content_type="text/html")
    csv = keep(company, CSV_BYTES, "orders.csv", content_type="application/vnd.ms-excel")
    note = keep(company, "Waited 40 minutes for the system – again.\n".encode(), "note.md")
    db.session.commit()

    assert path_of(pdf).read_bytes() == PDF_BYTES and path_of(csv).read_bytes() == CSV_BYTES
    assert (pdf.filename, pdf.content_type, pdf.size_bytes) == ("Refund_policy.pdf", "application/pdf",
                                                                 len(PDF_BYTES))
    assert (csv.filename, csv.content_type) == ("orders.csv", "text/csv; charset=utf-8")
    assert (note.filename, note.content_type) == ("note.txt", "text/plain; charset=utf-8")


def test_the_same_file_sent_twice_is_kept_once(app, company):
    """A phone that resends what it kept without signal (its answer lost on the way) adds no second copy."""
    first = keep(company, PDF_BYTES, "policy.pdf")
    again = keep(company, PDF_BYTES, "policy (1).pdf")
    other = keep(company, CSV_BYTES, "orders.csv")
    db.session.commit()
    assert again.id == first.id and other.id != first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 2


def test_files_are_private_to_the_app_and_named_by_a_random_key(app, company):
    evidence = keep(company, PDF_BYTES, "policy.pdf")
    db.session.commit()
    path = path_of(evidence)
    root = Path(app.config["ROTATION_EVIDENCE_DIR"]).resolve()
    assert path.resolve().parent.parent == root
    assert path.name == evidence.storage_key and path.parent.name == evidence.storage_key[:2]
    assert len(evidence.storage_key) == 32 and "policy" not in str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("filename, stored", [
    ("../../etc/passwd", "etc_passwd.txt"),
    ("..\\..\\windows\\win.ini", "windows_win.txt"),
    ("/etc/cron.d/evil.csv", "etc_cron.d_evil.csv"),
    ("写真.txt", "evidence.txt"),
    ("", "evidence.txt"),
    ("..", "evidence.txt"),
])
def test_an_unsafe_name_is_made_safe_and_the_file_stays_in_the_evidence_folder(app, company, filename, stored):
    evidence = keep(company, b"order 1001 missing\n", filename)
    db.session.commit()
    assert evidence.filename == stored
    root = Path(app.config["ROTATION_EVIDENCE_DIR"]).resolve()
    assert stored_files(app) == [path_of(evidence)]
    assert path_of(evidence).resolve().is_relative_to(root)


# --- Refused -------------------------------------------------------------------------------------------------

def html_page() -> bytes:
    return b"  <!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


def windows_program() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


@pytest.mark.parametrize("make_data, filename, message", [
    (lambda: b"%PDF-" + bytes(MAX_BYTES), "scan.pdf",
     "scan.pdf is 10.1 MB; files can be at most 10.0 MB, so it was not added."),
    (lambda: b"", "empty.jpg", "empty.jpg is empty; it was not added."),
    (html_page, "photo.jpg",
     "photo.jpg is not a photo (JPEG, PNG, WebP, GIF), PDF or text file; it was not added."),
    (lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "notes.txt",
     "notes.txt is not a photo (JPEG, PNG, WebP, GIF), PDF or text file; it was not added."),
    (windows_program, "setup.exe",
     "setup.exe is not a photo (JPEG, PNG, WebP, GIF), PDF or text file; it was not added."),
    (lambda: "Müller".encode("latin-1"), "names.csv",
     "names.csv is not a photo (JPEG, PNG, WebP, GIF), PDF or text file; it was not added."),
    (lambda: noisy_jpeg()[:2000], "cut.jpg",
     "cut.jpg looks like a photo but could not be read (it may be damaged or cut short); it was not added."),
    (lambda: b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "broken.png",
     "broken.png looks like a photo but could not be read (it may be damaged or cut short); it was not added."),
    (lambda: png_header_only(10_000, 10_000), "huge.png",
     "huge.png is too large to open; photos can be at most 40 megapixels, so it was not added."),
])
def test_bad_files_are_refused_with_a_sentence_and_nothing_is_written(app, company, make_data, filename,
                                                                      message):
    with pytest.raises(EvidenceProblem) as refused:
        keep(company, make_data(), filename, content_type="image/jpeg")
    assert str(refused.value) == message
    db.session.rollback()
    assert rows() == 0 and stored_files(app) == []


def test_a_photo_just_over_the_pixel_limit_is_refused(app, company):
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(EvidenceProblem) as refused:
        keep(company, png_header_only(7000, 6000), "big.png")
    assert str(refused.value) == ("big.png has 42.0 megapixels; photos can be at most 40 megapixels, so it was not "
                                  "added.")
    assert stored_files(app) == []


def test_a_refused_file_names_only_the_last_part_of_its_path(app, company):
    with pytest.raises(EvidenceProblem, match=r"^evil\.exe is not a photo"):
        keep(company, windows_program(), "C:\\Users\\me\\evil.exe")


def test_the_eleventh_file_is_refused_counting_me_too_files(app, company):
    observation, other = company["observation"], company["other"]
    for n in range(MAX_FILES - 1):
        keep(company, f"note {n}\n".encode(), f"note{n}.txt")
    second = Second(observation_id=observation.id, person_id=other.id, assignment_id=company["shifts"][1].id)
    db.session.add(second)
    db.session.flush()
    store(upload(PDF_BYTES, "mine.pdf"), observation_id=observation.id, uploaded_by_id=other.id,
          second_id=second.id)
    db.session.commit()
    assert rows() == MAX_FILES

    with pytest.raises(EvidenceProblem) as refused:
        keep(company, PDF_BYTES, "one more.pdf")
    assert str(refused.value) == "one more.pdf was not added: an observation can have at most 10 photos and files."
    db.session.rollback()
    assert rows() == MAX_FILES and len(stored_files(app)) == MAX_FILES


def test_a_me_too_file_must_belong_to_the_observation(app, company):
    with pytest.raises(ValueError):
        store(upload(PDF_BYTES, "mine.pdf"), observation_id=company["observation"].id,
              uploaded_by_id=company["other"].id, second_id=999_999)


# --- Files follow the transaction ----------------------------------------------------------------------------

def test_a_rollback_removes_the_files_written_in_it(app, company):
    first = keep(company, PDF_BYTES, "a.pdf")
    keep(company, jpeg(), "b.jpg")
    assert path_of(first).exists() and len(stored_files(app)) == 2
    with pytest.raises(EvidenceProblem):
        keep(company, windows_program(), "c.exe")
    db.session.rollback()
    assert rows() == 0 and stored_files(app) == []


def test_closing_the_session_without_commit_removes_the_files(app, company):
    keep(company, PDF_BYTES, "a.pdf")
    db.session.remove()
    assert rows() == 0 and stored_files(app) == []


def test_a_savepoint_rolled_back_removes_only_its_own_files(app, company):
    kept = keep(company, PDF_BYTES, "kept.pdf")
    savepoint = db.session.begin_nested()
    keep(company, CSV_BYTES, "dropped.csv")
    savepoint.rollback()
    released = db.session.begin_nested()
    also_kept = keep(company, jpeg(), "also.jpg")
    released.commit()
    assert sorted(stored_files(app)) == sorted([path_of(kept), path_of(also_kept)])
    db.session.commit()
    assert rows() == 2 and sorted(stored_files(app)) == sorted([path_of(kept), path_of(also_kept)])


def test_committed_files_stay(app, company):
    evidence = keep(company, PDF_BYTES, "a.pdf")
    db.session.commit()
    db.session.rollback()
    assert path_of(evidence).read_bytes() == PDF_BYTES and rows() == 1


def test_a_deleted_file_goes_only_when_the_deletion_is_committed(app, company):
    evidence = keep(company, PDF_BYTES, "a.pdf")
    db.session.commit()
    path = path_of(evidence)

    delete(evidence)
    assert path.exists()
    db.session.rollback()
    assert path.exists() and rows() == 1

    evidence = db.session.get(Evidence, evidence.id)
    delete(evidence)
    assert path.exists()
    db.session.commit()
    assert not path.exists() and rows() == 0


# --- Downloading --------------------------------------------------------------------------------------------

@pytest.fixture
def files(app, company):
    photo = keep(company, jpeg(), "till.jpg")
    pdf = keep(company, PDF_BYTES, "refund policy.pdf")
    csv = keep(company, CSV_BYTES, "orders.csv")
    db.session.commit()
    return {"photo": photo.id, "pdf": pdf.id, "csv": csv.id}


def assert_locked_down(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, max-age=3600"


def test_the_author_sees_photos_inline_and_downloads_other_files(app, company, files, make_user):
    author = signed_in_client(app, make_user([MANAGER], email=company["author"].email))

    response = author.get(f"/evidence/{files['photo']}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"] == "inline; filename=till.jpg"
    assert response.data == path_of(db.session.get(Evidence, files["photo"])).read_bytes()
    assert_locked_down(response)

    response = author.get(f"/evidence/{files['pdf']}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=refund_policy.pdf"
    assert response.data == PDF_BYTES
    assert_locked_down(response)

    response = author.get(f"/evidence/{files['csv']}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=orders.csv"
    assert response.data == CSV_BYTES
    assert_locked_down(response)

    etag = response.headers["ETag"]
    again = author.get(f"/evidence/{files['csv']}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert_locked_down(again)


def test_an_account_outside_the_rotation_gets_not_found(app, company, files, make_user, make_person):
    # Everyone in the rotation may read a submitted observation (to second it) and its files; an account that is
    # no roster person, or whose person is not in the rotation (HR, most often), and owns no area, may not.
    stranger = signed_in_client(app, make_user([MANAGER], email="stranger@example.com"))
    for evidence_id in files.values():
        assert stranger.get(f"/evidence/{evidence_id}").status_code == 404
    assert stranger.get("/evidence/999999").status_code == 404
    make_person("E900", full_name="Henna HR", email="henna@example.com", in_rotation=False)
    hr = signed_in_client(app, make_user(["hr"], email="henna@example.com"))
    assert hr.get(f"/evidence/{files['pdf']}").status_code == 404
    company["other"].in_rotation_override = True
    db.session.commit()
    colleague = signed_in_client(app, make_user([MANAGER], email=company["other"].email))
    assert colleague.get(f"/evidence/{files['pdf']}").status_code == 200


def test_owners_of_the_area_or_an_area_above_it_and_admins_get_the_file(app, company, files, make_user):
    for area in ("returns", "service"):
        owner = make_user([OWNER])
        db.session.add(AreaOwner(area_id=company[area].id, user_id=owner.id))
        db.session.commit()
        response = signed_in_client(app, owner).get(f"/evidence/{files['pdf']}")
        assert response.status_code == 200 and response.data == PDF_BYTES
    admin = signed_in_client(app, make_user([ADMIN]))
    assert admin.get(f"/evidence/{files['photo']}").status_code == 200
    unrelated_owner = signed_in_client(app, make_user([OWNER]))
    assert unrelated_owner.get(f"/evidence/{files['photo']}").status_code == 404


def test_a_draft_s_files_are_for_its_author_only(app, company, files, make_user):
    owner = make_user([OWNER])
    db.session.add(AreaOwner(area_id=company["returns"].id, user_id=owner.id))
    db.session.get(Observation, company["observation"].id).status = DRAFT
    db.session.commit()
    assert signed_in_client(app, owner).get(f"/evidence/{files['photo']}").status_code == 404
    author = signed_in_client(app, make_user([MANAGER], email=company["author"].email))
    assert author.get(f"/evidence/{files['photo']}").status_code == 200


def test_someone_not_signed_in_is_sent_to_sign_in(app, files):
    response = Browser(app).get(f"/evidence/{files['photo']}")
    assert response.status_code == 302 and "/login" in response.location


def test_a_missing_file_is_not_found(app, company, files, make_user):
    path_of(db.session.get(Evidence, files["pdf"])).unlink()
    author = signed_in_client(app, make_user([MANAGER], email=company["author"].email))
    assert author.get(f"/evidence/{files['pdf']}").status_code == 404


# --- Through the observation form -----------------------------------------------------------------------------

def test_an_upload_with_one_bad_file_adds_nothing(app, company, make_user):
    observation = db.session.get(Observation, company["observation"].id)
    observation.status = DRAFT
    db.session.commit()
    author = signed_in_client(app, make_user([MANAGER], email=company["author"].email))
    token = csrf_token(author.get(f"/observations/{observation.id}/edit").get_data(as_text=True))
    response = author.post(f"/observations/{observation.id}/evidence", content_type="multipart/form-data", data={
        "csrf_token": token,
        "files": [(io.BytesIO(PDF_BYTES), "policy.pdf"), (io.BytesIO(jpeg()), "till.jpg"),
                  (io.BytesIO(windows_program()), "setup.exe")]})
    assert response.status_code == 302
    assert rows() == 0 and stored_files(app) == []
    page = author.get(response.location).get_data(as_text=True)
    assert "setup.exe is not a photo (JPEG, PNG, WebP, GIF), PDF or text file" in page

    response = author.post(f"/observations/{observation.id}/evidence", content_type="multipart/form-data", data={
        "csrf_token": token, "files": [(io.BytesIO(PDF_BYTES), "policy.pdf"), (io.BytesIO(jpeg()), "till.jpg")]})
    assert response.status_code == 302
    assert rows() == 2 and len(stored_files(app)) == 2

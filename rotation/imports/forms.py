from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, ValidationError

from rotation.forms import Form

MAX_FILE_BYTES = 16 * 1024 * 1024


class UploadForm(Form):
    kind = RadioField("What the file holds", choices=[], validators=[], default="people")
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")],
                     render_kw={"accept": ".csv,text/csv"},
                     description="UTF-8, with a header line. Nothing is written until you confirm the preview.")
    deactivate_missing = BooleanField("Deactivate people who are not in this file (leavers)",
                                      description="Only for a complete roster: everyone active who is not in "
                                                  "the file is marked as having left.")

    def validate_kind(self, field):
        if field.data not in dict(field.choices):
            raise ValidationError("Choose what the file holds.")

    def validate_file(self, field):
        name = (field.data.filename or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise ValidationError("Upload a .csv file (a spreadsheet saved as “CSV UTF-8”).")

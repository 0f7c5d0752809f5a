"""The Flask extensions, created once and bound to the app in ``create_app``."""
from typing import TYPE_CHECKING

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from rotation.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()

# The base of every model: Flask-SQLAlchemy's ``db.Model``, which it builds from ``Base`` when the extension is
# made. A type checker cannot follow a class made at run time, so it checks the models against ``Base``: the
# same declarative base, with the same columns and types.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

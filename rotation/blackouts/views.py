from flask import Blueprint

bp = Blueprint("blackouts", __name__)

"""Production entry point: ``gunicorn wsgi:app``."""
from rotation import create_app

app = create_app()

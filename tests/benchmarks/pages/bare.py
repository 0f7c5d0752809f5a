"""The yardstick: a bare Flask page, served by gunicorn exactly as Rotation is."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"

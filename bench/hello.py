"""The ceiling: a bare Flask app with one hello-world route, served by the same gunicorn
settings as the portal in the same benchmark run."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"

"""Entry point for `flask` and gunicorn: `app = create_app()`."""
from werkzeug.serving import WSGIRequestHandler

from portal import create_app

# `flask run` would announce "Werkzeug/x Python/y" in every Server header (the stdlib's
# BaseHTTPRequestHandler.version_string hook); gunicorn says only "gunicorn".
WSGIRequestHandler.version_string = lambda self: "Readiness Portal"

app = create_app()

"""Rendering for full pages and htmx fragments, the login gate, error pages and headers."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qs, quote, urlsplit

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.program.clock import use_last_read_zone

T = TypeVar("T")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def wants_fragment() -> bool:
    """An htmx request for part of a page; boosted requests and history restores get it all."""
    hx = request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(template: str, block: str | None = None, status: int = 200,
           oob_blocks: tuple[str, ...] = (), **context) -> Response:
    """The whole page, or only `block` of it when htmx asks for a fragment; then also the
    blocks named in `oob_blocks` (the figures the change moved elsewhere on the page), rendered
    with `oob=True` so that they carry `data-hx-swap-oob`."""
    if block and wants_fragment():
        html = render_block(template, block, **context)
        html += "".join(render_block(template, name, **{**context, "oob": True})
                        for name in oob_blocks)
    else:
        html = render_template(template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


# The pages whose figures follow a change made in one of their parts by another area's
# view (the shared item row): endpoint -> function(view_args, query args) -> the figures'
# HTML, out of band. Each page's area registers its own with `page_figures`, so the area
# that answers the change needs to import none of them.
_PAGE_FIGURES: dict[str, Callable[[dict, MultiDict], str]] = {}


def page_figures(endpoint: str):
    """Registers the function that renders, out of band, the figures of the page at
    `endpoint` that a change made inside that page may move."""
    def register(function: Callable[[dict, MultiDict], str]):
        _PAGE_FIGURES[endpoint] = function
        return function
    return register


def figures_out_of_band(page: str) -> str:
    """The out-of-band figures of `page` (a path and query on this site, as a form's
    `return_to`), or "" for a page that registered none."""
    parts = urlsplit(page)
    try:
        endpoint, view_args = current_app.create_url_adapter(request).match(
            parts.path, method="GET")
    except HTTPException:  # no such page, or one that redirects
        return ""
    function = _PAGE_FIGURES.get(endpoint)
    if function is None:
        return ""
    args = MultiDict([(k, v) for k, values in parse_qs(parts.query).items() for v in values])
    return function(view_args, args)


def safe_return(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: a redirect after a form or
    a sign-in never leads elsewhere (no scheme, no host, no `//` or backslash tricks)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return default


def found(value: T | None) -> T:
    """`value`, or a 404 when the lookup found nothing."""
    if value is None:
        abort(404)
    return value


def htmx_redirect(location: str) -> Response:
    """Redirect that also works for htmx requests (HX-Redirect instead of a swapped 303)."""
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood. Reload the page and try again."),
    401: ("Sign-in needed", "Please sign in to continue."),
    403: ("Not allowed", "Your role does not allow this. Ask a program lead if you need it."),
    404: ("Not found", "There is nothing at this address. It may have been removed."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Changed meanwhile", "Someone else changed this first. Reload to see their change."),
    413: ("Too large", "What you sent is larger than the portal accepts."),
    422: ("Check the form", "Some of what you entered needs another look."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a few minutes."),
    500: ("Something went wrong", "The portal hit an error. It has been logged; try again."),
    503: ("Temporarily unavailable", "The database cannot be reached. Try again shortly."),
}


def error_page(status: int, message: str | None = None) -> Response:
    title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
    context = {"status": status, "title": title, "message": message or text}
    if status == 503:
        # The database is down: render as for a visitor, without loading the user or
        # reading the program's zone.
        g._login_user = AnonymousUserMixin()
        use_last_read_zone()
    response = make_response(render_template("errors/error.html", **context), status)
    if request.htmx:
        response.headers["HX-Reswap"] = "none"
        if message:  # said in the toast (portal.js), rather than its word for the status
            response.headers["X-Portal-Message"] = quote(message)
    return response


def is_public_request() -> bool:
    """Static files, unknown URLs and views marked public need no login."""
    if request.endpoint is None or request.endpoint == "static":
        return True
    return getattr(current_app.view_functions.get(request.endpoint), "is_public", False)


def _require_login():
    """Every view needs a login, unless it is marked public."""
    if is_public_request():
        return None
    if current_user.is_authenticated:
        return None
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.htmx:
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure or request.headers.get("X-Forwarded-Proto") == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if "_user_id" in session:  # signed-in pages are private (checked without a query)
        headers.setdefault("Cache-Control", "no-store")
    return response


def _refuse_nul():
    """A NUL character in a form or query value is never text a person typed; PostgreSQL
    would refuse to store it (a 500), SQLite would keep it in titles and feeds."""
    pairs = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if any("\x00" in key + value for key, value in pairs):
        return error_page(400, "The request holds a NUL character; it was not accepted.")
    return None


def init_web(app: Flask) -> None:
    """Installs the input guard, the login gate, the error pages and the security headers."""
    app.before_request(_refuse_nul)
    app.before_request(_require_login)
    app.after_request(_security_headers)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return error_page(400, "The form expired or was sent from elsewhere. Reload and retry.")

    @app.errorhandler(429)
    def _too_many(error):
        if request.endpoint == "auth.login":  # logged by the limit's on_breach
            return error_page(429, "Too many failed sign-in attempts. Wait 15 minutes, or "
                                   "use “Forgot your password?” on the sign-in page.")
        return error_page(429)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code in (301, 302, 303, 307, 308):
            return error
        # A view's own words (`abort(403, description=...)`), not Werkzeug's default ones.
        told = error.description if error.description != type(error).description else None
        return error_page(error.code or 500, told)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        if isinstance(error, OperationalError):
            app.logger.error("database unavailable: %s", error)
            return error_page(503)
        app.logger.exception("unhandled error")
        return error_page(500)

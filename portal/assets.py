"""Fingerprinted static files: `url_for('static', filename=...)` gains `?v=<content hash>`,
and a request carrying the current hash is answered with a year-long immutable cache
header. A changed file gets a new hash, so browsers never keep a stale copy; a request
with an old or missing hash gets the file with `no-cache` (revalidate)."""
from __future__ import annotations

import hashlib
import os

from flask import Flask, Response, current_app, request

IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


def file_hash(static_folder: str, filename: str, cache: dict) -> str | None:
    """A short content hash of a static file, cached by path and modification time."""
    path = os.path.join(static_folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    digest = cache.get(key)
    if digest is None:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()[:12]
        cache[key] = digest
    return digest


def init_assets(app: Flask) -> None:
    """Installs the `v` URL default for the static endpoint and the cache headers."""
    cache: dict = {}
    app.extensions["portal_asset_hashes"] = cache

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = file_hash(app.static_folder, values["filename"], cache)
            if digest:
                values["v"] = digest

    @app.after_request
    def _static_cache(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        wanted = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        current = file_hash(current_app.static_folder, filename, cache) if wanted else None
        if wanted and wanted == current:
            response.headers["Cache-Control"] = IMMUTABLE
            response.expires = None
        else:
            response.headers["Cache-Control"] = "no-cache"
        # Buffer text assets (they are small) so Flask-Compress compresses them with any
        # algorithm, gzip included, for deployments without a compressing proxy.
        if response.status_code == 200 and (response.mimetype or "").startswith(COMPRESSIBLE):
            response.direct_passthrough = False
            response.get_data()
        return response

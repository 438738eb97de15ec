"""Fingerprinted static files: `url_for('static', filename=...)` gains `?v=<content hash>`,
and a request carrying the current hash is answered with a year-long immutable cache
header. A changed file gets a new hash, so browsers never keep a stale copy; a request
with an old or missing hash gets the file with `no-cache` (revalidate).

Static text is compressed here, at brotli's and gzip's best levels, once per file and
encoding: browsers keep it a year, so its bytes count and the time to compress it once
does not. Pages are compressed by Flask-Compress at the fastest levels
(portal/observability.py), since each is compressed anew."""
from __future__ import annotations

import gzip
import hashlib
import os

import brotli
from flask import Flask, Response, current_app, request

IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
# Each encoding a browser may ask for, and how to compress a static file for it.
BEST = {"br": lambda data: brotli.compress(data, quality=11),
        "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0)}


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
    compressed: dict = {}  # (filename, its hash, encoding) -> the compressed file

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
        if response.status_code == 200 and (response.mimetype or "").startswith(COMPRESSIBLE):
            key = (filename, file_hash(current_app.static_folder, filename, cache))
            return _compressed(response, key, compressed)
        return response


def _compressed(response: Response, key: tuple, kept: dict) -> Response:
    """`response`, a static text file, in the best encoding the browser accepts: from `kept`
    (by `key` and encoding), or compressed now and kept there. Flask-Compress leaves a
    response that carries an encoding alone."""
    response.vary.add("Accept-Encoding")
    encoding = request.accept_encodings.best_match(list(BEST))
    if encoding is None:
        return response
    response.direct_passthrough = False
    body = kept.get((*key, encoding))
    if body is None:
        body = kept[(*key, encoding)] = BEST[encoding](response.get_data())
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(f"{etag}:{encoding}")
    return response.make_conditional(request)

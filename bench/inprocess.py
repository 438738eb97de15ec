"""The in-process benchmarks' shared start: an empty database and the portal over it."""
from __future__ import annotations

import os
import tempfile


def fresh_app(url: str, **config):
    """The portal over `url`, emptied first (a PostgreSQL schema is dropped and made again),
    with its tables created; testing settings, no scheduler, no page cache."""
    from sqlalchemy import create_engine, text

    from portal import create_app
    from portal.extensions import db

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    os.environ["PORTAL_INSTANCE_PATH"] = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "PORTAL_SCHEDULER": False, "PORTAL_PAGE_CACHE": False, **config})
    with app.app_context():
        db.create_all()
    return app

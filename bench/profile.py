"""Profile one page in process: `python bench/profile.py /actions?q=SOC2 [DATABASE_URL] [N]`.

Uses the database the benchmark left (bench/.work/scale-20000.db) unless a URL is given,
logs in as the demo lead, requests the page N times (default 5) under pyinstrument
(`pip install pyinstrument`; not a dependency of the portal) and prints the profile and
the SQL statements of one request."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from pyinstrument import Profiler
    from sqlalchemy import event

    path = sys.argv[1] if len(sys.argv) > 1 else "/"
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{ROOT / 'bench/.work/scale-20000.db'}"
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    os.environ.setdefault("PORTAL_INSTANCE_PATH", str(ROOT / "bench/.work/instance"))
    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "profile",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "PORTAL_ACCESS_LOG": False, "PORTAL_PAGE_CACHE": False})
    with app.app_context():
        client = app.test_client()
        client.post("/login", data={"email": "lead@example.com",
                                    "password": "readiness-demo-2026"})
        client.get(path)
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute",
                     lambda c, cur, statement, *a: statements.append(statement))
        response = client.get(path)
        print(f"{path}: HTTP {response.status_code}, {len(response.data):,} bytes, "
              f"{len(statements)} statements")
        for statement in statements:
            print("  ", re.sub(r"\s+", " ", statement)[:160])
        with Profiler() as profiler:
            for _ in range(count):
                client.get(path)
        profiler.print()


if __name__ == "__main__":
    main()

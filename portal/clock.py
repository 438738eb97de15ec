"""The portal stores naive UTC datetimes; these helpers keep that in one place."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (the form every DateTime column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_today(timezone: str = "UTC", now: datetime | None = None) -> date:
    """Today's date in `timezone` (an IANA name); UTC when the name is unknown."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    moment = (now or utcnow()).replace(tzinfo=UTC)
    return moment.astimezone(zone).date()

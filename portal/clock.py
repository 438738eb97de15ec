"""The portal stores naive UTC datetimes; these helpers keep that in one place, with the
time zones people may choose from and the one way a date is written for people to read.

Dates for reading are `30 Nov 2026` (`reading_date`), and `30 Nov` (`short_date`) only where
a table is about this year; machine outputs (JSON, CSV, ICS, data-* attributes, input
values) stay ISO (`date.isoformat()`), and people enter dates with the browser's picker."""
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# The regions of the IANA database whose zones are offered in lists (the others are
# aliases kept for old software: US/Eastern, Etc/GMT+5, ...).
ZONE_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
                "Europe", "Indian", "Pacific")


READING_DATE = "%d %b %Y"
SHORT_DATE = "%d %b"

# The dates a program's plans may hold, for every date people enter or a change computes:
# beyond them a date is a typo (year 9999 or 0001), and it broke the pages that count days
# from it or add days to it.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def out_of_range(day: date | None, what: str = "date") -> str | None:
    """Why `day` cannot be a plan's date (None when it can, or when there is no date)."""
    if day is None or EARLIEST <= day <= LATEST:
        return None
    return f"Choose a {what} between {EARLIEST.year} and {LATEST.year}."


def reading_date(value: date | datetime | None) -> str:
    """`30 Nov 2026`, the date as every page and mail writes it; empty for None."""
    return value.strftime(READING_DATE) if value is not None else ""


def short_date(value: date | datetime | None) -> str:
    """`30 Nov`, for tables and charts about this year only; empty for None."""
    return value.strftime(SHORT_DATE) if value is not None else ""


def reading_time(moment: datetime | None) -> str:
    """`30 Nov 2026, 14:05`, a moment as people read it (in whatever zone it carries)."""
    return moment.strftime(f"{READING_DATE}, %H:%M") if moment is not None else ""


def in_zone(moment: datetime, timezone: str) -> datetime:
    """A stored naive UTC datetime as an aware one in `timezone` (UTC when unknown)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.replace(tzinfo=UTC).astimezone(zone)


def zone_start(day: date, timezone: str) -> datetime:
    """The first moment of `day` in `timezone`, as a naive UTC datetime (for queries)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(day, datetime.min.time(), zone).astimezone(UTC).replace(tzinfo=None)


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


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """Every IANA zone name this machine knows (the ones a stored zone may have)."""
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def zone_choices() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The zones to choose from, grouped by region: UTC first, then Africa/..., America/..."""
    groups: dict[str, list[str]] = {region: [] for region in ZONE_REGIONS}
    for name in known_zones():
        region = name.partition("/")[0]
        if region in groups and "/" in name:
            groups[region].append(name)
    return (("", ("UTC",)),) + tuple((region, tuple(sorted(names)))
                                      for region, names in groups.items() if names)

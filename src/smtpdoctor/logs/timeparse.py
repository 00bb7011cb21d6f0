"""Log timestamps → seconds since the epoch, fast and remembered.

Syslog lines start with one of: the classic ``Nov 28 21:37:08`` (no year,
no zone), RFC 3339 ``2024-11-28T21:37:08.123456+00:00`` (rsyslog's and
Debian 12's high-precision format), or an RFC 5424 header
``<22>1 2024-11-28T21:37:08.123Z``. Many lines share one second, so the
conversion is memoized by the text up to the second (a bounded dict).

Times without a zone are taken as UTC; a classic timestamp gets the year
of the reference time (the file's modification time), or the year before
when that would put it more than a day in the future (a log that spans
New Year).
"""

from __future__ import annotations

import datetime as dt
import re
import time

__all__ = ["TimeParser", "parse_user_time"]

_MONTHS = {
    m.encode(): i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_ISO = re.compile(
    rb"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,]\d+)?(Z|[+-]\d\d:?\d\d)?(?=[\s,]|$)"
)
_CACHE_MAX = 8192
_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()


def _timegm(fields: tuple[int, ...]) -> int:
    """``calendar.timegm`` (its arithmetic, its errors: the month checked by ``date``,
    the day not), without importing ``calendar``, which imports ``locale``
    (~1.5 ms of start-up, before a split run forks)."""
    year, month, day, hour, minute, second = fields[:6]
    days = dt.date(year, month, 1).toordinal() - _EPOCH_DAY + day - 1
    return ((days * 24 + hour) * 60 + minute) * 60 + second


class TimeParser:
    """Timestamps at the start of a log line (bytes) → epoch seconds, or None."""

    def __init__(self, reference: float | None = None) -> None:
        self.reference = reference if reference is not None else time.time()
        ref = dt.datetime.fromtimestamp(self.reference, dt.UTC)
        self._year = ref.year
        self._limit = self.reference + 86400
        self._cache: dict[bytes, float | None] = {}

    def at(self, data: bytes, pos: int) -> float | None:
        """The epoch of the timestamp that starts at ``data[pos]`` (a line start)."""
        # A classic stamp seen before (the cache holds only keys that start with
        # an upper-case letter: what the branch below would look up).
        cache = self._cache
        found = cache.get(data[pos : pos + 15], cache)
        if found is not cache:
            return found  # type: ignore[return-value]
        first = data[pos : pos + 1]
        if first == b"<":
            end = data.find(b">", pos, pos + 6)
            if end < 0:
                return None
            pos = end + 1
            if data[pos : pos + 2] == b"1 ":  # RFC 5424 VERSION
                pos += 2
            first = data[pos : pos + 1]
        if first.isdigit():
            return self._iso(data, pos)
        if first.isupper():
            key = data[pos : pos + 15]
            cache = self._cache
            found = cache.get(key, cache)
            if found is not cache:
                return found  # type: ignore[return-value]
            value = self._classic(key)
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[key] = value
            return value
        return None

    def _classic(self, key: bytes) -> float | None:
        month = _MONTHS.get(key[:3])
        if month is None or len(key) < 15 or key[3:4] != b" ":
            return None
        try:
            day = int(key[4:6])
            hour, minute, second = int(key[7:9]), int(key[10:12]), int(key[13:15])
            epoch = float(_timegm((self._year, month, day, hour, minute, second, 0, 0, 0)))
        except ValueError:
            return None
        if epoch > self._limit:
            epoch = float(_timegm((self._year - 1, month, day, hour, minute, second)))
        return epoch

    def _iso(self, data: bytes, pos: int) -> float | None:
        end = data.find(b" ", pos, pos + 40)
        if end == pos + 10 and data[pos + 13 : pos + 14] == b":":
            # "2024-03-07 02:09:33 host ...": a space where RFC 3339 has its "T"
            # (syslog-ng templates, Windows syslog servers, some exports).
            end = data.find(b" ", pos + 11, pos + 40)
            token = data[pos : pos + 10] + b"T" + data[pos + 11 : end if end >= 0 else pos + 40]
        else:
            token = data[pos : end if end >= 0 else pos + 40]
        # Cache by "YYYY-MM-DDTHH:MM:SS" plus the zone; the fraction is dropped.
        frac_end = 19
        while frac_end < len(token) and token[frac_end : frac_end + 1] in b".,0123456789":
            frac_end += 1
        key = token[:19] + token[frac_end:]
        cache = self._cache
        found = cache.get(key, cache)
        if found is not cache:
            return found  # type: ignore[return-value]
        value = parse_iso_bytes(key)
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[key] = value
        return value

    def iso_text(self, text: str) -> float | None:
        """An ISO 8601 timestamp in a text field (CSV logs)."""
        return parse_iso_bytes(text.strip().encode("ascii", "replace"))


def parse_iso_bytes(token: bytes) -> float | None:
    m = _ISO.match(token)
    if m is None:
        return None
    try:
        fields = tuple(int(g) for g in m.groups()[:6])
        epoch = _timegm((*fields, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    zone = m.group(7)
    if zone and zone != b"Z":
        sign = -1 if zone[:1] == b"-" else 1
        digits = zone[1:].replace(b":", b"")
        offset = int(digits[:2]) * 3600 + int(digits[2:4]) * 60
        epoch -= sign * offset
    return float(epoch)


_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*(?:ago)?\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_user_time(text: str, now: float | None = None) -> float:
    """``--since``/``--until``: ISO 8601 (date or date and time, UTC unless
    a zone is given), or a duration before now (``30m``, ``2h``, ``7d``).

    Raises ValueError with a message for a person.
    """
    now = time.time() if now is None else now
    m = _RELATIVE.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT[m.group(2).lower()]
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        value += "T00:00:00"
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read time {text!r}: use ISO 8601 (2024-11-28 or 2024-11-28T21:00:00) "
            "or a duration before now (30m, 2h, 7d)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()

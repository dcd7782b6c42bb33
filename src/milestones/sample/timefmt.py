"""Vectorised ISO 8601 formatting: lookup tables of day and time-of-day strings joined by Arrow."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400


def epoch_seconds(d: date) -> int:
    return (d - date(1970, 1, 1)).days * DAY


def join(*parts) -> pa.Array:
    """Concatenate strings element-wise (Arrow arrays and Python str scalars)."""
    return pc.binary_join_element_wise(*parts, "")


def offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class TimeFormatter:
    """Formats epoch seconds (and milliseconds) between first_day and last_day as ISO 8601 text."""

    def __init__(self, first_day: date, last_day: date):
        self.first = epoch_seconds(first_day) // DAY
        n_days = (last_day - first_day).days + 1
        self.days = pa.array([(first_day + timedelta(days=i)).isoformat() for i in range(n_days)])
        self.hms = pa.array(
            [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
        )
        self.millis = pa.array([f".{i:03d}" for i in range(1000)])

    def _day_index(self, seconds: np.ndarray) -> pa.Array:
        idx = seconds // DAY - self.first
        if len(idx) and (idx.min() < 0 or idx.max() >= len(self.days)):
            raise ValueError("timestamp outside the formatter's range")
        return pa.array(idx)

    def iso_z(self, seconds: np.ndarray) -> pa.Array:
        seconds = np.asarray(seconds, dtype=np.int64)
        return join(
            self.days.take(self._day_index(seconds)), "T", self.hms.take(pa.array(seconds % DAY)), "Z"
        )

    def iso_ms_z(self, millis: np.ndarray) -> pa.Array:
        """`2026-05-01T13:45:14.123Z`"""
        millis = np.asarray(millis, dtype=np.int64)
        seconds = millis // 1000
        return join(
            self.days.take(self._day_index(seconds)),
            "T",
            self.hms.take(pa.array(seconds % DAY)),
            self.millis.take(pa.array(millis % 1000)),
            "Z",
        )

    def iso_offset(self, seconds: np.ndarray, offsets: np.ndarray) -> pa.Array:
        """The same instant written in local time with its offset: `2026-05-01T15:45:12+02:00`."""
        seconds = np.asarray(seconds, dtype=np.int64)
        offsets = np.asarray(offsets, dtype=np.int64)
        local = seconds + offsets
        uniq, inverse = np.unique(offsets, return_inverse=True)
        suffix = pa.array([offset_text(int(o)) for o in uniq]).take(pa.array(inverse.astype(np.int64)))
        return join(self.days.take(self._day_index(local)), "T", self.hms.take(pa.array(local % DAY)), suffix)

    def date(self, seconds: np.ndarray) -> pa.Array:
        return self.days.take(self._day_index(np.asarray(seconds, dtype=np.int64)))

"""How every table of the library writes times and JSON, so all capabilities agree."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds and a Z."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compact_json(value: Any) -> str:
    """Compact, UTF-8 JSON; values JSON cannot hold are written as their text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

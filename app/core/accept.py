"""``Accept`` read as RFC 9110 §12.5.1 says: media ranges with q-values, the most specific
range deciding. Lists negotiate their format with it (app/core/formats.py), the explorer's
paths whether a problem is a page (app/core/errors.py)."""

import re

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_RANGE = re.compile(rf"({_TOKEN})/({_TOKEN})")
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def media_ranges(accept: str) -> list[tuple[str, str, float]]:
    """The ``(type, subtype, q)`` of each well-formed media range of an ``Accept`` value;
    a malformed one is skipped, as RFC 9110 lets a server disregard it."""
    ranges = []
    for item in accept.split(","):
        media, *parameters = item.split(";")
        match = _MEDIA_RANGE.fullmatch(media.strip())
        if match is None:
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else -1.0
        if q >= 0:
            ranges.append((match[1].lower(), match[2].lower(), q))
    return ranges


def quality(media_type: str, ranges: list[tuple[str, str, float]]) -> float:
    """The q the most specific range matching ``media_type`` gives it; 0 if none does."""
    kind, subtype = media_type.split("/")
    best, specificity = 0.0, -1
    for range_kind, range_subtype, q in ranges:
        if range_kind == kind and range_subtype == subtype:
            rank = 2
        elif range_kind == kind and range_subtype == "*":
            rank = 1
        elif range_kind == range_subtype == "*":
            rank = 0
        else:
            continue
        if rank > specificity:
            best, specificity = q, rank
    return best

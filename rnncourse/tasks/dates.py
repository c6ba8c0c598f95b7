"""Human-written dates inside filler text, to ISO dates: a task that needs a sequence out.

    "please note the payment arrived on May 3rd, 99 and nothing else"  ->  "1999-05-03"

Everything is drawn from an explicit ``rng`` and from the fixed English word lists below: no
locale, no ``strftime``, no clock, so the same seed gives the same strings on every machine.
The date itself is uniform over the days from 1950-01-01 to 2049-12-31 (``datetime.date``'s
proleptic Gregorian calendar); two-digit years are read in that window (50-99 -> 19xx,
00-49 -> 20xx), so every input has exactly one answer. The filler words contain no digit and no
month, weekday or ordinal word, so the date is the only place the answer can come from.

    random_dates(n, rng)                    -> list of datetime.date
    format_date(date, fmt)                  the date written in one of FORMATS
    date_examples(n, rng, min_len, max_len) -> (sources, targets): strings
    SOURCE_VOCAB, TARGET_VOCAB              character vocabularies, PAD = 0, BOS = 1, EOS = 2
    encode_batch(sources, targets)          -> a DateBatch of padded ids and masks
    decode_ids(ids, vocab)                  ids -> string, up to the first EOS

Shapes: N examples, T the longest source (characters), U the longest target + 1 (EOS, or BOS
in front for the decoder's input). Sources are padded at the end with PAD, masks are True on
real positions.

>>> import numpy as np
>>> src, tgt = date_examples(2, np.random.default_rng(0), min_len=40, max_len=60)
>>> [len(s) >= 40 for s in src], tgt
([True, True], ['2035-01-24', '2013-09-12'])
>>> b = encode_batch(src, tgt)
>>> b.y_in.shape, decode_ids(b.y_out[0], TARGET_VOCAB)
((2, 11), '2035-01-24')
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BOS",
    "EOS",
    "FILLER_WORDS",
    "FIRST_DAY",
    "FORMATS",
    "LAST_DAY",
    "LONGEST",
    "MONTHS",
    "PAD",
    "SOURCE_VOCAB",
    "TARGET_VOCAB",
    "WEEKDAYS",
    "DateBatch",
    "date_examples",
    "decode_ids",
    "encode_batch",
    "encode_string",
    "format_date",
    "random_dates",
]

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<bos>", "<eos>")

FIRST_DAY = datetime.date(1950, 1, 1)
LAST_DAY = datetime.date(2049, 12, 31)

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINAL_WORDS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth", "twenty-first", "twenty-second",
    "twenty-third", "twenty-fourth", "twenty-fifth", "twenty-sixth", "twenty-seventh",
    "twenty-eighth", "twenty-ninth", "thirtieth", "thirty-first",
)  # fmt: skip

# Filler: no digit, no month (not even "may" or "march"), no weekday, no ordinal word.
FILLER_WORDS = (
    "a", "an", "the", "on", "at", "by", "to", "of", "and", "or", "so", "it", "we", "is", "as",
    "see", "you", "our", "was", "due", "set", "new", "old", "for", "not", "yes", "ok", "all",
    "note", "date", "sent", "paid", "kept", "call", "team", "room", "book", "desk", "from",
    "then", "with", "that", "this", "will", "have", "been", "last", "next", "some", "meet",
    "please", "remember", "invoice", "meeting", "payment", "arrived", "deadline", "signed",
    "letter", "parcel", "moved", "office", "nothing", "else", "ticket", "flight", "booked",
    "started", "finished", "contract", "report", "reminder", "party", "visit", "shipped",
)  # fmt: skip

# Every format, by name: the day d, month m (1-12), year y; each writes the date one way.
FORMATS = (
    "d_month_yyyy",  # 3 May 1999
    "month_dth_yyyy",  # May 3rd, 1999
    "month_d_yy",  # May 3, 99
    "dd/mm/yyyy",  # 03/05/1999
    "dd.mm.yy",  # 03.05.99
    "d_mon_yyyy",  # 3 May 1999 with the month cut to three letters: 3 Sep 1999
    "weekday_d_month_yyyy",  # Monday, 3 May 1999
    "the_ordinal_of_month_yyyy",  # the third of May 1999
    "yyyy/mm/dd",  # 1999/05/03
    "lower_d_month_yy",  # 3 may 99
)

# The longest date each format writes, over the whole window (tests/test_dates.py counts them).
LONGEST = {
    "d_month_yyyy": 17,  # 30 September 1999
    "month_dth_yyyy": 20,  # September 30th, 1999
    "month_d_yy": 16,  # September 30, 99
    "dd/mm/yyyy": 10,
    "dd.mm.yy": 8,
    "d_mon_yyyy": 11,  # 30 Sep 1999
    "weekday_d_month_yyyy": 28,  # Wednesday, 30 September 1999
    "the_ordinal_of_month_yyyy": 36,  # the twenty-seventh of September 1999
    "yyyy/mm/dd": 10,
    "lower_d_month_yy": 15,  # 30 september 99
}


def _suffix(d: int) -> str:
    if 11 <= d % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


def format_date(date: datetime.date, fmt: str) -> str:
    """``date`` written in the format named ``fmt`` (one of ``FORMATS``).

    >>> d = datetime.date(1999, 5, 3)
    >>> [format_date(d, f) for f in FORMATS[:4]]
    ['3 May 1999', 'May 3rd, 1999', 'May 3, 99', '03/05/1999']
    >>> format_date(d, "weekday_d_month_yyyy"), format_date(d, "the_ordinal_of_month_yyyy")
    ('Monday, 3 May 1999', 'the third of May 1999')
    """
    d, m, y = date.day, date.month, date.year
    month = MONTHS[m - 1]
    yy = f"{y % 100:02d}"
    if fmt == "d_month_yyyy":
        return f"{d} {month} {y}"
    if fmt == "month_dth_yyyy":
        return f"{month} {d}{_suffix(d)}, {y}"
    if fmt == "month_d_yy":
        return f"{month} {d}, {yy}"
    if fmt == "dd/mm/yyyy":
        return f"{d:02d}/{m:02d}/{y}"
    if fmt == "dd.mm.yy":
        return f"{d:02d}.{m:02d}.{yy}"
    if fmt == "d_mon_yyyy":
        return f"{d} {month[:3]} {y}"
    if fmt == "weekday_d_month_yyyy":
        return f"{WEEKDAYS[date.weekday()]}, {d} {month} {y}"
    if fmt == "the_ordinal_of_month_yyyy":
        return f"the {ORDINAL_WORDS[d - 1]} of {month} {y}"
    if fmt == "yyyy/mm/dd":
        return f"{y}/{m:02d}/{d:02d}"
    if fmt == "lower_d_month_yy":
        return f"{d} {month.lower()} {yy}"
    raise ValueError(f"unknown date format {fmt!r}; choose one of {list(FORMATS)}")


def random_dates(n: int, rng: np.random.Generator) -> list[datetime.date]:
    """``n`` days drawn uniformly from FIRST_DAY to LAST_DAY, both included."""
    lo, hi = FIRST_DAY.toordinal(), LAST_DAY.toordinal()
    return [datetime.date.fromordinal(int(k)) for k in rng.integers(lo, hi + 1, size=n)]


def _filler(length: int, rng: np.random.Generator) -> str:
    """Filler words joined by spaces, at most ``length`` characters, as close to it as the
    words allow (the one-letter word "a" makes it reach ``length`` or ``length - 1``)."""
    words: list[str] = []
    used = 0
    while True:
        room = length - used - (1 if words else 0)
        fits = [w for w in FILLER_WORDS if len(w) <= room]
        if not fits:
            return " ".join(words)
        w = fits[int(rng.integers(len(fits)))]
        used += len(w) + (1 if words else 0)
        words.append(w)


def date_examples(
    n: int,
    rng: np.random.Generator,
    *,
    min_len: int = 40,
    max_len: int = 60,
    formats: Sequence[str] = FORMATS,
) -> tuple[list[str], list[str]]:
    """``n`` sources (a date in one of ``formats`` inside filler text) and their ISO dates.

    Each source's length is drawn uniformly in [min_len, max_len] (characters; at least the
    date's own length), and filler of that total length is split at random between before and
    after the date. A source is never longer than ``max_len`` and at most one character shorter
    than the length drawn (the filler is whole words).

    Returns:
        (sources, targets): two lists of ``n`` strings; targets are "YYYY-MM-DD".
    """
    if min_len > max_len:
        raise ValueError(f"min_len {min_len} > max_len {max_len}")
    formats = list(formats)
    for f in formats:
        if f not in FORMATS:
            raise ValueError(f"unknown date format {f!r}; choose from {list(FORMATS)}")
    longest = max(LONGEST[f] for f in formats)
    if max_len < longest:
        raise ValueError(
            f"max_len must be at least {longest}, the longest date these formats write"
        )
    sources, targets = [], []
    for date in random_dates(n, rng):
        text = format_date(date, formats[int(rng.integers(len(formats)))])
        total = int(rng.integers(max(min_len, len(text)), max_len + 1))
        room = total - len(text)
        before = int(rng.integers(0, room + 1))
        left = _filler(before - 1, rng) if before >= 2 else ""
        right = _filler(total - len(text) - len(left) - (1 if left else 0) - 1, rng)
        parts = [p for p in (left, text, right) if p]
        sources.append(" ".join(parts))
        targets.append(date.isoformat())
    return sources, targets


def _vocab(chars: str) -> tuple[str, ...]:
    return SPECIALS + tuple(sorted(set(chars)))


_LETTERS = "".join(FILLER_WORDS) + "".join(MONTHS) + "".join(WEEKDAYS) + "".join(ORDINAL_WORDS)
SOURCE_VOCAB: tuple[str, ...] = _vocab(
    _LETTERS + _LETTERS.lower() + "0123456789" + " ,./-" + "stndrh"
)
TARGET_VOCAB: tuple[str, ...] = _vocab("0123456789-")


def encode_string(s: str, vocab: Sequence[str]) -> list[int]:
    """The ids of the characters of ``s`` in ``vocab`` (no BOS/EOS added)."""
    index = {c: i for i, c in enumerate(vocab)}
    try:
        return [index[c] for c in s]
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} of {s!r} is not in the vocabulary") from None


def decode_ids(ids: Sequence[int], vocab: Sequence[str]) -> str:
    """The string of ``ids`` up to (not including) the first EOS; PAD and BOS are skipped."""
    out = []
    for i in np.asarray(ids).tolist():
        if i == EOS:
            break
        if i in (PAD, BOS):
            continue
        out.append(vocab[i])
    return "".join(out)


@dataclass(frozen=True)
class DateBatch:
    """A padded batch. x (N, T) source ids, x_mask (N, T); y_in (N, U) the decoder's input
    (BOS, then the target), y_out (N, U) what it must output (the target, then EOS), y_mask
    (N, U); padding is PAD and False."""

    x: np.ndarray
    x_mask: np.ndarray
    y_in: np.ndarray
    y_out: np.ndarray
    y_mask: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """Each source's length in characters, (N,)."""
        return self.x_mask.sum(axis=1)


def encode_batch(sources: Sequence[str], targets: Sequence[str]) -> DateBatch:
    """Sources and targets as padded id arrays with masks (see ``DateBatch``)."""
    if len(sources) != len(targets) or not sources:
        raise ValueError("encode_batch needs as many targets as sources, at least one")
    xs = [encode_string(s, SOURCE_VOCAB) for s in sources]
    ys = [encode_string(t, TARGET_VOCAB) for t in targets]
    N, T, U = len(xs), max(map(len, xs)), max(map(len, ys)) + 1
    x = np.full((N, T), PAD, dtype=np.int64)
    x_mask = np.zeros((N, T), dtype=bool)
    y_in = np.full((N, U), PAD, dtype=np.int64)
    y_out = np.full((N, U), PAD, dtype=np.int64)
    y_mask = np.zeros((N, U), dtype=bool)
    for n, (s, t) in enumerate(zip(xs, ys, strict=True)):
        x[n, : len(s)] = s
        x_mask[n, : len(s)] = True
        y_in[n, : len(t) + 1] = [BOS, *t]
        y_out[n, : len(t) + 1] = [*t, EOS]
        y_mask[n, : len(t) + 1] = True
    return DateBatch(x, x_mask, y_in, y_out, y_mask)

"""rnncourse.tasks.dates: the dates-in-filler task. Determinism from the seed, every format read
back by an independent parser (written here, from the format's description) to the right ISO
date over every day of the window, lengths, vocabularies, padding and masks."""

from __future__ import annotations

import datetime
import re

import numpy as np
import pytest

from rnncourse.tasks import dates
from rnncourse.tasks.dates import (
    BOS,
    EOS,
    FILLER_WORDS,
    FIRST_DAY,
    FORMATS,
    LAST_DAY,
    PAD,
    SOURCE_VOCAB,
    TARGET_VOCAB,
    date_examples,
    decode_ids,
    encode_batch,
    format_date,
)

MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
]  # fmt: skip
ORD = {
    w: i + 1
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth "
        "twenty-first twenty-second twenty-third twenty-fourth twenty-fifth twenty-sixth "
        "twenty-seventh twenty-eighth twenty-ninth thirtieth thirty-first".split()
    )
}
MONTH_RE = "|".join(MONTHS)


def year(s: str) -> int:
    y = int(s)
    return y if len(s) == 4 else (1900 + y if y >= 50 else 2000 + y)


def month(s: str) -> int:
    s = s.lower()
    return next(i + 1 for i, m in enumerate(MONTHS) if m == s or m[:3] == s)


def parse(text: str) -> str:
    """The ISO date in ``text``, found by patterns written independently of the generator."""
    t = text.lower()
    pats = [
        (r"(\d{4})/(\d\d)/(\d\d)", lambda g: (int(g[0]), int(g[1]), int(g[2]))),
        (r"(\d\d)/(\d\d)/(\d{4})", lambda g: (int(g[2]), int(g[1]), int(g[0]))),
        (r"(\d\d)\.(\d\d)\.(\d\d)", lambda g: (year(g[2]), int(g[1]), int(g[0]))),
        (rf"the ([a-z-]+) of ({MONTH_RE}) (\d{{4}})", lambda g: (int(g[2]), month(g[1]), ORD[g[0]])),
        (rf"({MONTH_RE}) (\d{{1,2}})(?:st|nd|rd|th)?, (\d{{2,4}})\b",
         lambda g: (year(g[2]), month(g[0]), int(g[1]))),
        (rf"\b(\d{{1,2}}) ({MONTH_RE}|[a-z]{{3}}) (\d{{2,4}})\b",
         lambda g: (year(g[2]), month(g[1]), int(g[0]))),
    ]  # fmt: skip
    found = []
    for pat, get in pats:
        for m in re.finditer(pat, t):
            try:
                found.append(datetime.date(*get(m.groups())).isoformat())
            except (StopIteration, KeyError, ValueError):
                pass
    assert len(set(found)) == 1, f"{text!r}: found {found}"
    return found[0]


def test_same_seed_same_examples_and_different_seeds_differ():
    a = date_examples(50, np.random.default_rng(3), min_len=40, max_len=80)
    b = date_examples(50, np.random.default_rng(3), min_len=40, max_len=80)
    c = date_examples(50, np.random.default_rng(4), min_len=40, max_len=80)
    assert a == b
    assert a != c


def test_pinned_examples_machine_independent():
    """The first examples of seed 0, written out: a change of generator shows here."""
    src, tgt = date_examples(3, np.random.default_rng(0), min_len=40, max_len=60)
    assert tgt == ["2035-01-24", "2013-09-12", "2001-02-11"]
    assert src[1] == "next with that report a Thursday, 12 September 2013 set that"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_parses_back_on_every_day(fmt):
    for k in range(FIRST_DAY.toordinal(), LAST_DAY.toordinal() + 1, 7):
        d = datetime.date.fromordinal(k)
        assert parse(format_date(d, fmt)) == d.isoformat()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_in_filler_parses_back(fmt):
    src, tgt = date_examples(300, np.random.default_rng(1), min_len=40, max_len=90, formats=[fmt])
    for s, t in zip(src, tgt, strict=True):
        assert parse(s) == t


def test_filler_has_no_date_word_or_digit():
    date_words = set(MONTHS) | {m[:3] for m in MONTHS} | set(ORD)
    date_words |= {w.lower() for w in dates.WEEKDAYS}
    for w in FILLER_WORDS:
        assert w.lower() not in date_words and not any(ch.isdigit() for ch in w), w


def test_lengths_within_bounds_and_variable():
    src, tgt = date_examples(2000, np.random.default_rng(2), min_len=40, max_len=100)
    lens = np.array([len(s) for s in src])
    assert lens.max() <= 100 and lens.min() >= 39
    assert lens.min() < 45 and lens.max() > 95  # the whole range is used
    assert all(len(t) == 10 for t in tgt)
    years = {int(t[:4]) for t in tgt}
    assert min(years) == 1950 and max(years) == 2049


def test_longest_date_of_each_format_counted_over_every_day():
    days = [
        datetime.date.fromordinal(k) for k in range(FIRST_DAY.toordinal(), LAST_DAY.toordinal() + 1)
    ]
    for fmt in FORMATS:
        assert max(len(format_date(d, fmt)) for d in days) == dates.LONGEST[fmt], fmt
    # short sources from the short formats
    src, _ = date_examples(
        50, np.random.default_rng(9), min_len=8, max_len=12, formats=["dd.mm.yy", "yyyy/mm/dd"]
    )
    assert all(8 <= len(s) <= 12 for s in src)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown date format"):
        date_examples(2, np.random.default_rng(0), formats=["iso"])
    with pytest.raises(ValueError, match="max_len"):
        date_examples(2, np.random.default_rng(0), min_len=10, max_len=35)
    with pytest.raises(ValueError, match="min_len"):
        date_examples(2, np.random.default_rng(0), min_len=70, max_len=60)


def test_vocabularies():
    assert SOURCE_VOCAB[:3] == TARGET_VOCAB[:3] == ("<pad>", "<bos>", "<eos>")
    assert (PAD, BOS, EOS) == (0, 1, 2)
    assert len(set(SOURCE_VOCAB)) == len(SOURCE_VOCAB)
    assert set(TARGET_VOCAB[3:]) == set("0123456789-")
    src, _ = date_examples(1000, np.random.default_rng(6), min_len=40, max_len=120)
    assert set("".join(src)) <= set(SOURCE_VOCAB[3:])


def test_encode_batch_pads_and_masks():
    src, tgt = date_examples(7, np.random.default_rng(7), min_len=40, max_len=70)
    b = encode_batch(src, tgt)
    N, T = b.x.shape
    assert (N, T) == (7, max(map(len, src)))
    assert b.lengths.tolist() == [len(s) for s in src]
    assert b.y_in.shape == b.y_out.shape == b.y_mask.shape == (7, 11)
    assert (b.y_in[:, 0] == BOS).all() and (b.y_out[:, -1] == EOS).all()
    assert (b.y_in[:, 1:] == b.y_out[:, :-1]).all()  # teacher forcing: the input is shifted
    for n in range(N):
        L = len(src[n])
        assert b.x_mask[n, :L].all() and not b.x_mask[n, L:].any()
        assert (b.x[n, L:] == PAD).all() and (b.x[n, :L] != PAD).all()
        assert "".join(SOURCE_VOCAB[i] for i in b.x[n, :L]) == src[n]
        assert decode_ids(b.y_out[n], TARGET_VOCAB) == tgt[n]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        encode_batch(["3 May 1999 ü"], ["1999-05-03"])

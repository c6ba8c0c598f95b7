"""Lesson 9's data: the shipped code snapshot, the CO2 CSV, the chirps, the text helpers."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from rnncourse import datasets
from rnncourse.datasets import (
    CODE_MODULES,
    Vocab,
    clean_text,
    load_co2,
    load_code_corpus,
    load_pydoc_topics,
    train_val_split,
    unigram_bits,
)


def test_snapshot_is_the_quoted_corpus():
    text = load_code_corpus()
    assert len(text) == 588_302
    assert text.startswith("# ==== bisect.py ====\n")
    assert [line[7:-8] for line in text.split("\n") if line.startswith("# ==== ")] == [
        f"{m}" for m in CODE_MODULES
    ]
    assert clean_text(text) == text  # ASCII, no tabs, no \r
    vocab = Vocab.from_text(text)
    assert len(vocab) == 96
    ids = vocab.encode(text)
    train_ids, val_ids = train_val_split(ids)
    assert (len(train_ids), len(val_ids)) == (529_472, 58_830)
    assert f"{unigram_bits(train_ids, val_ids, len(vocab)):.4f}" == "4.5840"


def test_snapshot_file_is_reproducible(tmp_path, monkeypatch):
    """``python -m rnncourse.datasets`` rewrites the same bytes on the Python that made it."""
    original = datasets.SNAPSHOT.read_bytes()
    with gzip.open(datasets.SNAPSHOT, "rt") as f:
        shipped = f.read()
    monkeypatch.setattr(datasets, "SNAPSHOT", tmp_path / "stdlib_snapshot.txt.gz")
    try:
        mine = datasets.read_stdlib_source()
    except FileNotFoundError as err:  # a Python without one of the modules' sources
        pytest.skip(str(err))
    if mine != shipped:
        pytest.skip("this Python's standard library differs from the snapshot's (3.11.7)")
    datasets._write_snapshot()
    assert (tmp_path / "stdlib_snapshot.txt.gz").read_bytes() == original


def test_installed_source_and_pydoc_topics_load():
    text = load_code_corpus("installed")
    assert text.count("# ==== ") == len(CODE_MODULES) and len(text) > 300_000
    docs = load_pydoc_topics()
    assert len(docs) > 100_000 and clean_text(docs) == docs
    with pytest.raises(ValueError, match="snapshot"):
        load_code_corpus("web")


def test_vocab_round_trip_and_unknown_characters():
    v = Vocab.from_text("hello world\n")
    assert v.decode(v.encode("low\n")) == "low\n"
    with pytest.raises(ValueError, match="'a' is not in the vocabulary"):
        v.encode("lazy")


def test_clean_text():
    assert clean_text("a\tb\r\nc\rd\u00e9\x00") == "a    b\nc\nd??"


def test_split_is_a_contiguous_tail():
    train, val = train_val_split(np.arange(100), 0.25)
    assert train.tolist() == list(range(75)) and val.tolist() == list(range(75, 100))
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(np.arange(10), 1.0)


def test_unigram_bits_is_the_entropy_for_matching_frequencies():
    train = np.array([0, 0, 1, 1, 2, 2, 3, 3] * 100)
    assert np.isclose(unigram_bits(train, train, 4), 2.0)  # uniform over 4 symbols: 2 bits


def test_co2_csv_states_source_and_licence_and_loads():
    raw = (datasets.DATA_DIR / "co2_weekly.csv").read_text(encoding="ascii")
    header = [line for line in raw.splitlines() if line.startswith("#")]
    assert any("public domain" in line for line in header)
    assert any("Keeling" in line for line in header)
    t, co2 = load_co2(monthly=False)
    assert len(t) == 2284 and int(np.isnan(co2).sum()) == 59
    assert np.all(np.diff(t) > 0)
    t, co2 = load_co2()
    assert len(t) == 526 and not np.isnan(co2).any()
    np.testing.assert_allclose(np.diff(t), 1 / 12)
    assert f"{t[0]:.3f} {t[-1]:.3f}" == "1958.208 2001.958"
    assert f"{co2[0]:.2f} {co2[-1]:.2f}" == "316.10 371.02"
    assert 310 < co2.min() and co2.max() < 375

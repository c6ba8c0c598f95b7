"""Lesson 11, part 2: the audio maths, the shipped spoken digits, the recognisers, the lesson's numbers."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from rnncourse.audio import (
    frames,
    hann_window,
    hz_to_mel,
    log_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    num_frames,
    read_wav,
    resample_linear,
    write_wav,
)
from rnncourse.experiments import speech_data
from rnncourse.experiments.speech import (
    LONG,
    RESULTS_FILE,
    SpeechConfig,
    bag_of_frames,
    dtw_distances,
    init_speech,
    load_speech_results,
    pad_batch,
    speech_loss,
)
from rnncourse.experiments.speech_data import DATA_FILE, load_spoken_digits

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "11_deeper_both_ways.ipynb"
# the committed file: `python -m rnncourse.experiments.speech_data <FSDD>/recordings` (FSDD at
# commit 26eb9aaf76e81b692f806f9140c2d2777410d7a1, numpy 2.4.6) wrote exactly these bytes
SHIPPED_SHA256 = "3dc40d0f6e2ae71d91dcbd73b16d2fd9611039fb57dd3b266ed1709f5932a17c"
MAX_BYTES = 6_000_000


def lesson_text() -> str:
    nb = json.loads(LESSON.read_text(encoding="utf-8"))
    return "\n".join(
        "".join(o.get("text", "")) for cell in nb["cells"] for o in cell.get("outputs", [])
    )


# --- the maths ------------------------------------------------------------------------------


def test_frames_cover_the_signal_and_pad_the_last_one():
    for S, L, hop in [(1, 200, 80), (200, 200, 80), (201, 200, 80), (1000, 200, 80), (37, 8, 3)]:
        x = np.arange(1.0, S + 1)
        f = frames(x, L, hop)
        assert f.shape == (num_frames(S, L, hop), L)
        assert (f.shape[0] - 1) * hop < S <= (f.shape[0] - 1) * hop + L or S <= L
        for t in range(f.shape[0]):  # frame t is x[t*hop : t*hop + L], zeros past the end
            piece = x[t * hop : t * hop + L]
            np.testing.assert_array_equal(f[t, : len(piece)], piece)
            assert not f[t, len(piece) :].any()


def test_hann_window_is_periodic_and_mel_scale_inverts():
    w = hann_window(8)
    assert w[0] == 0 and w[4] == pytest.approx(1.0)
    np.testing.assert_allclose(w, np.hanning(9)[:-1], atol=1e-15)  # periodic = symmetric(L+1)
    f = np.array([0.0, 100.0, 1000.0, 4000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f)), f, atol=1e-9)
    assert hz_to_mel(1000.0) == pytest.approx(999.99, abs=0.01)  # ~1000 mel at 1000 Hz (HTK)


def test_mel_filterbank_triangles():
    fb = mel_filterbank(32, 256, 8000)
    assert fb.shape == (32, 129) and fb.min() >= 0 and fb.max() <= 1
    peaks = fb.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0)  # centres rise with the band
    widths = (fb > 0).sum(axis=1)
    assert widths[-1] > 3 * widths[0]  # narrow at low frequencies, wide at high ones
    for row in fb:  # each a single triangle: rises, then falls
        nz = row[row > 0]
        top = int(np.argmax(nz))
        assert np.all(np.diff(nz[: top + 1]) >= 0) and np.all(np.diff(nz[top:]) <= 0)


def test_log_mel_equals_a_direct_dft_and_keeps_float32():
    rng = np.random.default_rng(0)
    x = 0.1 * rng.normal(size=1234)
    S = log_mel_spectrogram(x)
    fb = mel_filterbank()
    n = np.arange(200)
    k = np.arange(129)[:, None]
    dft = np.exp(-2j * np.pi * k * n / 256)
    w = np.sin(np.pi * n / 200) ** 2
    padded = np.concatenate([x, np.zeros(num_frames(1234) * 80 + 200)])
    direct = np.array(
        [np.log(np.maximum(fb @ np.abs(dft @ (padded[t * 80 : t * 80 + 200] * w)) ** 2, 1e-6))
         for t in range(len(S))]
    )  # fmt: skip
    np.testing.assert_allclose(S, direct, rtol=1e-10, atol=1e-10)
    S32 = log_mel(x.astype(np.float32), fb.astype(np.float32))
    assert S32.dtype == np.float32
    np.testing.assert_allclose(S32, S, atol=1e-3)
    silent = log_mel_spectrogram(np.zeros(500))
    np.testing.assert_array_equal(silent, np.log(1e-6))


def test_a_tone_lights_the_band_of_its_pitch():
    fb = mel_filterbank()
    freqs = np.arange(129) * 8000 / 256
    for hz in (300.0, 1000.0, 2500.0):
        t = np.arange(4000) / 8000
        S = log_mel_spectrogram(np.sin(2 * np.pi * hz * t))
        band = int(np.argmax(S[10]))
        assert fb[band, np.argmin(np.abs(freqs - hz))] > 0.3  # its band covers the tone


def test_wav_round_trip_and_resampling(tmp_path):
    rng = np.random.default_rng(1)
    x = np.clip(0.3 * rng.normal(size=800), -1, 1)
    write_wav(tmp_path / "a.wav", x, 8000)
    y, rate = read_wav(tmp_path / "a.wav")
    assert rate == 8000 and np.abs(y - x).max() < 1 / 32767
    t = np.arange(16000) / 16000  # a 16 kHz tone, resampled: same pitch, half the samples
    z = resample_linear(np.sin(2 * np.pi * 440 * t), 16000, 8000)
    assert len(z) == 8000
    spectrum = np.abs(np.fft.rfft(z))
    assert abs(np.argmax(spectrum) * 8000 / len(z) - 440) < 2
    np.testing.assert_array_equal(resample_linear(x, 8000, 8000), x)


# --- the shipped data and its rebuild --------------------------------------------------------


def test_shipped_data_size_and_hash():
    data = DATA_FILE.read_bytes()
    assert len(data) <= MAX_BYTES, f"{DATA_FILE.name} is {len(data)} bytes, over {MAX_BYTES}"
    assert hashlib.sha256(data).hexdigest() == SHIPPED_SHA256
    readme = (DATA_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in readme and "Jakobovski" in readme
    licence = (DATA_FILE.parent / "LICENSE-CC-BY-SA-4.0.txt").read_text(encoding="utf-8")
    assert licence.startswith("Attribution-ShareAlike 4.0 International")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = "MIT AND CC-BY-SA-4.0"' in pyproject
    assert "rnncourse/data/LICENSE-CC-BY-SA-4.0.txt" in pyproject


def test_shipped_data_loads_as_described():
    d = load_spoken_digits()
    assert len(d) == 3000 and d.speakers == speech_data.SPEAKERS
    assert d.test.sum() == 300
    counts = np.zeros((6, 10), dtype=int)
    np.add.at(counts, (d.speaker, d.digit), 1)
    assert (counts == 50).all()
    assert all(f.shape[1] == 32 and f.dtype == np.float32 for f in d.features)
    assert len(d.clips) == 30 and sorted({c[0] for c in d.clips}) == list(range(10))
    for digit, speaker, x in d.clips[:3]:  # the clips' spectrograms are the shipped features
        i = np.flatnonzero(
            (d.digit == digit) & (d.speaker == d.speakers.index(speaker)) & (d.index == 0)
        )[0]
        assert np.abs(log_mel_spectrogram(x) - d.features[i]).max() <= d.step / 2 + 1e-3


def _synthetic_recordings(folder: Path, rng: np.random.Generator) -> None:
    """Two 'speakers' x 10 digits x recordings 0 and 5: tones of a pitch per digit."""
    for speaker in ("ann", "bob"):
        for digit in range(10):
            for index in (0, 5):
                n = int(rng.integers(300, 3000))
                t = np.arange(n) / 8000
                x = 0.3 * np.sin(2 * np.pi * (200 + 100 * digit) * t) + 0.01 * rng.normal(size=n)
                write_wav(folder / f"{digit}_{speaker}_{index}.wav", x)
    (folder / "README.md").write_text("not a recording")


def test_rebuild_command_on_synthetic_wavs(tmp_path, capsys):
    rec = tmp_path / "recordings"
    rec.mkdir()
    _synthetic_recordings(rec, np.random.default_rng(0))
    out1, out2 = tmp_path / "a.npz", tmp_path / "b.npz"
    speech_data.main([str(rec), "--out", str(out1)])
    speech_data.main([str(rec), "--out", str(out2)])
    assert out1.read_bytes() == out2.read_bytes()  # byte for byte
    printed = capsys.readouterr().out
    assert "40 recordings" in printed and hashlib.sha256(out1.read_bytes()).hexdigest() in printed
    d = load_spoken_digits(out1)
    assert len(d) == 40 and d.speakers == ("ann", "bob") and d.test.sum() == 20
    assert len(d.clips) == 20  # recording 0 of every (digit, speaker) there is, up to 3 each
    for i, (digit, speaker, index) in enumerate(zip(d.digit, d.speaker, d.index, strict=True)):
        x, _ = read_wav(rec / f"{digit}_{d.speakers[speaker]}_{index}.wav")
        assert np.abs(log_mel_spectrogram(x) - d.features[i]).max() <= d.step / 2 + 1e-4
    write_wav(rec / "3_bob_7.wav", np.zeros(100), sample_rate=16000)
    with pytest.raises(ValueError, match="16000 Hz"):
        speech_data.build(rec)
    with pytest.raises(FileNotFoundError, match="no files named"):
        speech_data.build(tmp_path)


# --- the recognisers ------------------------------------------------------------------------


def _dtw_loops(a, b):
    c = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    D = np.full((len(a) + 1, len(b) + 1), np.inf)
    D[0, 0] = 0
    for i in range(len(a)):
        for j in range(len(b)):
            D[i + 1, j + 1] = c[i, j] + min(D[i, j + 1], D[i, j], D[i + 1, j])
    return D[-1, -1] / (len(a) + len(b))


def test_dtw_equals_the_double_loop():
    rng = np.random.default_rng(2)
    A = [rng.normal(size=(n, 3)) for n in (1, 2, 7, 12, 5, 30)]
    B = [rng.normal(size=(n, 3)) for n in (1, 9, 4, 25)]
    got = dtw_distances(A, B, block=3)  # blocks of mixed lengths, padded
    want = np.array([[_dtw_loops(a, b) for b in B] for a in A])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    slow = A[3][np.repeat(np.arange(12), 2)]  # the same sequence said twice as slowly
    assert dtw_distances([A[3]], [slow])[0, 0] < 1e-12


def test_bag_of_frames_ignores_order():
    rng = np.random.default_rng(3)
    f = [rng.normal(size=(9, 4))]
    np.testing.assert_allclose(bag_of_frames(f), bag_of_frames([f[0][::-1]]))


@pytest.mark.parametrize("layers, bidirectional", [(1, True), (2, True), (1, False)])
def test_speech_loss_gradients_match_numerical_ones(layers, bidirectional):
    """float64: the masked mean over real frames, then the output layer, through deep layers."""
    cfg = SpeechConfig(H=3, num_layers=layers, bidirectional=bidirectional, dtype="float64")
    rng = np.random.default_rng(4)
    params = init_speech(cfg, 2, rng)
    x, mask = pad_batch([rng.normal(size=(n, 2)) for n in (4, 2, 3)])
    y = np.array([1, 7, 3])
    _, grads = speech_loss(params, cfg, x, mask, y)
    for part, name in [("out", "W_hy"), ("out", "b_y"), ("rnn", next(iter(params["rnn"])))]:
        p = params[part][name]
        num = np.zeros_like(p)
        picked = list(np.ndindex(p.shape))
        picked = [picked[k] for k in rng.permutation(len(picked))[:8]]  # 8 entries of each
        for i in picked:
            old = p[i]
            p[i] = old + 1e-6
            up, _ = speech_loss(params, cfg, x, mask, y)
            p[i] = old - 1e-6
            down, _ = speech_loss(params, cfg, x, mask, y)
            p[i] = old
            num[i] = (up - down) / 2e-6
        got = grads[f"{part}/{name}"]
        np.testing.assert_allclose([got[i] for i in picked], [num[i] for i in picked],
                                   rtol=1e-6, atol=1e-9)  # fmt: skip
    # padding is ignored: extra padded frames change nothing
    x2 = np.concatenate([x, rng.normal(size=(3, 2, 2))], axis=1)
    mask2 = np.concatenate([mask, np.zeros((3, 2))], axis=1)
    if not bidirectional:
        a, _ = speech_loss(params, cfg, x, mask, y)
        b, _ = speech_loss(params, cfg, x2, mask2, y)
        assert a == pytest.approx(b, rel=1e-12)


# --- the committed results and the lesson ---------------------------------------------------


def test_committed_speech_results_are_complete_and_honest():
    r = load_speech_results(RESULTS_FILE)
    assert set(r["heldout"]) == set(speech_data.SPEAKERS)
    assert set(r["test_split"]) == {"uni1", "bi1", "bi2"}
    assert all(list(v) == ["0", "1", "2"] for v in r["test_split_seeds"].values())
    assert all(r["test_split_seeds"][k]["0"] == r["test_split"][k]["rnn"] for k in r["test_split"])
    for row in [*r["heldout"].values(), *r["test_split"].values()]:
        for k in ("dtw", "bag", "rnn"):
            assert 0.1 < row[k] <= 1.0
        assert np.sum(row["rnn_confusion"]) == row["n_test"]
    assert all(row["n_test"] == 500 for row in r["heldout"].values())
    assert all(row["n_test"] == 300 for row in r["test_split"].values())
    # a new voice is harder than a known one, for the recurrent model
    mean_heldout = np.mean([row["rnn"] for row in r["heldout"].values()])
    assert mean_heldout < r["test_split"]["bi1"]["rnn"]


def test_the_lesson_prints_the_committed_speech_results():
    r = load_speech_results(RESULTS_FILE)
    text = lesson_text()
    rows = r["heldout"]
    for who, row in rows.items():
        assert re.search(rf"^{who}\s+{row['dtw']:.4f}\s+{row['bag']:.4f}\s+{row['rnn']:.4f}$",
                         text, re.M), who  # fmt: skip
    for name, agg in (("mean", np.mean), ("worst", np.min)):
        vals = " +".join(f"{agg([x[k] for x in rows.values()]):.4f}" for k in ("dtw", "bag", "rnn"))
        assert re.search(rf"^{name}\s+{vals}$", text, re.M), name
    t = r["test_split"]
    for key in ("uni1", "bi1", "bi2"):
        accs = list(r["test_split_seeds"][key].values())
        cells = r"\s+".join(f"{a:.4f}" for a in accs)
        line = rf"{t[key]['rnn_params']}\s+{cells}\s+{np.mean(accs):.4f}$"
        assert re.search(line, text, re.M), key
    # the lesson trains the committed bi1 run itself (same settings, same seed): same accuracy
    assert LONG == SpeechConfig(H=32, num_layers=1, bidirectional=True, epochs=5, dtype="float64")
    assert f"{LONG.epochs} epochs of batches of {LONG.batch}" in text
    assert f"\naccuracy {t['bi1']['rnn']:.4f}\n" in text


def test_the_lesson_prints_the_live_recognisers_it_trains():
    """The lesson's own DTW, bag and GRU on the official split, recomputed here."""
    from rnncourse.experiments.speech import (
        choose_templates,
        dtw_classify,
        normalised,
        test_split,
        train_bag,
    )

    d = load_spoken_digits()
    train, test = test_split(d)
    feats = normalised(d, train)
    y = d.digit
    tm = choose_templates(d, train, 1)
    dtw = np.mean(dtw_classify([feats[i] for i in test], [feats[i] for i in tm], y[tm]) == y[test])
    bags = bag_of_frames(feats)
    W, b = train_bag(bags[train], y[train])
    bag = np.mean(np.argmax(bags[test] @ W.T + b, axis=1) == y[test])
    text = lesson_text()
    assert f"(one per digit and speaker): accuracy {dtw:.4f}" in text
    assert f"per recording): accuracy {bag:.4f}" in text

"""The translator widget: the pure ``translate`` gives the committed model's output and a
row-stochastic attention map; typing new text redraws it."""

from __future__ import annotations

import numpy as np

from rnncourse.experiments.seq2seq import load_params
from rnncourse.widgets.translate import attention_table, translate, translator_widget


def test_translate_reads_the_date_and_attends_to_it():
    p = load_params("attention")
    text = "the invoice of 14 March 1987 was paid"
    out, alpha = translate(p, text)
    assert out == "1987-03-14"
    assert alpha.shape == (len(out) + 1, len(text))
    assert np.allclose(alpha.sum(axis=1), 1.0)
    year = text.index("1987")
    assert year <= alpha[2].argmax() < year + 4, "the year's third digit looks at the year"
    html = attention_table(text, out, alpha)
    assert html.count("<tr>") == len(out) + 2


def test_typing_redraws_and_bad_text_is_explained():
    p = load_params("attention")
    w = translator_widget(p, "paid on 12 June 2001 in full")
    assert "2001-06-12" in w.output.value
    w.text.value = "the 9th of April 2014 report"
    assert "2014-04-09" in w.output.value
    w.text.value = "a date? 12#6"
    assert "not in the vocabulary" in w.output.value
    assert w.box.children == (w.text, w.output)

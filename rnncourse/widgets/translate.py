"""Type a date in any text and see the date translator's output and its attention map.

    translate(params, text)          pure: (the ISO date the model writes, its attention
                                     weights (output characters + EOS, input characters))
    attention_table(text, out, alpha)  the map as an HTML table: one row per output character,
                                     one column per input character, darker = more weight
    translator_widget(params, text)  a text box above the output and the map, redrawn on Enter

The model is the parameter dict of ``rnncourse.seq2seq`` (with attention), decoded greedily;
ipywidgets is imported inside ``translator_widget`` only.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

import numpy as np

from rnncourse.seq2seq import greedy_decode
from rnncourse.tasks.dates import SOURCE_VOCAB, TARGET_VOCAB, decode_ids, encode_string

__all__ = ["attention_table", "translate", "translator_widget"]

MAX_OUT = 11  # an ISO date and EOS


def translate(params: dict[str, np.ndarray], text: str) -> tuple[str, np.ndarray]:
    """The model's greedy output for ``text`` and its attention weights (len(out) + 1, len(text)).

    Raises ValueError for a character outside the source vocabulary, or an empty text."""
    if not text:
        raise ValueError("type some text with a date in it")
    x = np.array([encode_string(text, SOURCE_VOCAB)])
    ids, _, alphas = greedy_decode(params, x, np.ones_like(x, dtype=bool), max_len=MAX_OUT)
    if alphas is None:
        raise ValueError("this model has no attention: load the attention model's parameters")
    out = decode_ids(ids[0], TARGET_VOCAB)
    return out, alphas[0, : min(len(out) + 1, MAX_OUT)]


def attention_table(text: str, out: str, alpha: np.ndarray) -> str:
    """``alpha`` as an HTML table, input characters across the top, output characters down."""
    rows_labels = [*out, "EOS"][: alpha.shape[0]]
    head = "".join(
        f"<th style='font-family: monospace; padding: 0 1px'>{html.escape(c) if c != ' ' else '␣'}</th>"
        for c in text
    )
    rows = []
    for label, weights in zip(rows_labels, alpha, strict=True):
        cells = "".join(
            f"<td title='{w:.2f}' style='background: rgb({g},{g},{g}); width: 9px'></td>"
            for w, g in ((w, round(255 * (1 - w))) for w in weights)
        )
        rows.append(f"<tr><th style='font-family: monospace'>{html.escape(label)}</th>{cells}</tr>")
    return (
        f"<table style='border-collapse: collapse'><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


def _as_html(params, text: str) -> str:
    try:
        out, alpha = translate(params, text)
    except ValueError as exc:
        return f"<p>{html.escape(str(exc))}</p>"
    return f"<p>output: <b><code>{html.escape(out)}</code></b></p>" + attention_table(
        text, out, alpha
    )


def translator_widget(
    params: dict[str, np.ndarray], text: str = "the invoice of 14 March 1987 was paid"
) -> SimpleNamespace:
    """A text box (press Enter to translate) above the output and the attention map.

    Returns a namespace with ``.box`` (display it), ``.text`` and ``.output`` (an HTML widget
    whose ``.value`` is the rendered output and map)."""
    import ipywidgets as widgets

    box = widgets.Text(
        value=text, description="text with a date", continuous_update=False,
        layout=widgets.Layout(width="90%"), style={"description_width": "initial"},
    )  # fmt: skip
    output = widgets.HTML()

    def redraw(change: object = None) -> None:
        output.value = _as_html(params, box.value)

    box.observe(redraw, names="value")
    redraw()
    return SimpleNamespace(box=widgets.VBox([box, output]), text=box, output=output)

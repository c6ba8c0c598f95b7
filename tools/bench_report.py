"""The benchmark's targets (issue 9), and its report: ``results/bench/RESULTS.md`` and ``results.png``.

Both benchmark programs (``python -m tools.bench_layers``, ``python -m tools.bench_notebooks``)
store what they measured in ``results/bench/results.json`` (each run replaces the entries it
measured and keeps the others), then call ``write_report`` to regenerate the table and the chart
from that file. Every ratio is ours / torch's, measured side by side in the same run.

    python -m tools.bench_report        # re-write RESULTS.md and results.png from results.json
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tools import budgets, machine

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "results" / "bench"
RESULTS_JSON = OUT / "results.json"
RESULTS_MD = OUT / "RESULTS.md"
RESULTS_PNG = OUT / "results.png"

SIZES = [
    (1, 25, 65, 100),
    (32, 50, 10, 64),
    (64, 100, 2, 128),
    (32, 100, 64, 256),
    (128, 200, 128, 512),
]
CELLS = ["rnn", "lstm", "gru"]
DTYPES = ["float64", "float32"]

# Issue 9, item 2. (target, stretch): a ratio holds when <= the figure; a share when >=.
PER_STEP_TARGETS = {"rnn": (8.0, 5.0), "lstm": (20.0, 12.0), "gru": (25.0, 15.0)}  # µs
# torch's own per-step time (float64, N=D=H=1) on the reference machine where the per-step
# targets were set (a 2-core AMD EPYC Zen 4 with AVX-512, measured when the targets were chosen).
# Ours x (torch there / torch here) estimates our figure on that machine: both are interpreter-
# and dispatch-bound, so they scale alike.
TORCH_REF_PER_STEP = {"rnn": 26.0, "lstm": 77.0, "gru": 82.0}  # µs
SHARE_TARGET = (0.75, 0.85)
COURSE_TARGET = (budgets.TOTAL_BUDGET, budgets.TOTAL_GOAL)  # s: the course's 5 min, goal 3 min


def size_key(size: tuple[int, int, int, int]) -> str:
    return "x".join(str(v) for v in size)


def ratio_targets(cell: str, dtype: str, size: tuple[int, ...]) -> tuple[float, float | None]:
    """(target, stretch) for ours / torch's time; stretch None where the issue sets none."""
    if dtype == "float64":
        return 1.0, (0.5 if SIZES.index(tuple(size)) < 3 else None)
    if cell == "lstm":
        return 1.5, 1.2
    return 1.2, 1.0


def load() -> dict:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {}


def save(update: dict) -> dict:
    """Merge ``update`` (section -> {key: entry} or section -> value) into results.json."""
    data = load()
    for section, value in update.items():
        if isinstance(value, dict) and isinstance(data.get(section), dict):
            data[section].update(value)
        else:
            data[section] = value
    RESULTS_JSON.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data


def stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def scaled_per_step(cell: str, e: dict) -> float:
    """Our per-step µs scaled to the reference machine by torch's per-step time there / here."""
    return e["ours_us"] * TORCH_REF_PER_STEP[cell] / e["torch_us"]


def _holds(value: float | None, limit: float | None, *, at_least: bool = False) -> str:
    if value is None or limit is None:
        return "-"
    ok = value >= limit if at_least else value <= limit
    return "yes" if ok else "**no**"


def summary_rows(data: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, measured, target, holds, stretch, holds) for every target of issue 9."""
    rows = []
    layers = data.get("layers", {})
    for dtype in DTYPES:
        for cell in CELLS:
            entries = [layers.get(f"{cell}/{dtype}/{size_key(s)}") for s in SIZES]
            ratios = [e["pair_ratio"] if e else None for e in entries]
            if all(r is None for r in ratios):
                continue
            target, stretch = ratio_targets(cell, dtype, SIZES[-1])
            got = [r for r in ratios if r is not None]
            worst = max(got)
            shown = " ".join("-" if r is None else f"{r:.2f}" for r in ratios)
            missing = len(got) < len(SIZES)
            holds = _holds(worst, target) + (" (sizes missing)" if missing else "")
            if dtype == "float64":
                small = [r for r in ratios[:3] if r is not None]
                s_fig, s_ok = "0.50 (3 smallest)", _holds(max(small) if small else None, 0.5)
            else:
                s_fig, s_ok = f"{stretch:.2f}", _holds(worst, stretch)
            rows.append(
                (
                    f"{dtype} {cell.upper()} / torch, 5 sizes",
                    shown,
                    f"{target:.2f}",
                    holds,
                    s_fig,
                    s_ok,
                )
            )
    share = data.get("gemm_share", {})
    for dtype, e in sorted(share.items()):
        rows.append(
            (
                f"LSTM {dtype} at the largest size, share of GEMM ceiling",
                f"{e['share']:.0%} ({e['achieved_gflops']:.1f} of {e['ceiling_gflops']:.1f} GFLOP/s)",
                f"{SHARE_TARGET[0]:.0%}",
                _holds(e["share"], SHARE_TARGET[0], at_least=True),
                f"{SHARE_TARGET[1]:.0%}",
                _holds(e["share"], SHARE_TARGET[1], at_least=True),
            )
        )
    steps = data.get("per_step", {})
    for cell in CELLS:
        e = steps.get(cell)
        if e:
            t, s = PER_STEP_TARGETS[cell]
            scaled = scaled_per_step(cell, e)
            rows.append(
                (
                    f"{cell.upper()} per-step overhead, N=D=H=1 (torch: {e['torch_us']:.0f} µs)",
                    f"{e['ours_us']:.1f} µs (scaled to the reference machine: {scaled:.1f})",
                    f"{t:.0f} µs",
                    f"{_holds(e['ours_us'], t)} (scaled: {_holds(scaled, t)})",
                    f"{s:.0f} µs",
                    f"{_holds(e['ours_us'], s)} (scaled: {_holds(scaled, s)})",
                )
            )
    imp = data.get("import")
    if imp:
        rows.append(
            (
                "`import rnncourse`, CPU s, fresh process, best of 9",
                f"{imp['rnncourse']:.3f} s (every name loaded, `from rnncourse import *`:"
                f" {imp['all_names']:.3f} s, of which `import numpy` alone: {imp['numpy']:.3f} s)",
                f"{imp['budget']:.1f} s",
                _holds(imp["rnncourse"], imp["budget"]),
                "-",
                "-",
            )
        )
    nbs = data.get("notebooks", {})
    if nbs.get("items"):
        for key, what in (("seconds", "wall-clock"), ("cpu", "kernel CPU time")):
            over = [
                f"{k} ({e[key]:.0f} s of {e['budget']:.0f})"
                for k, e in nbs["items"].items()
                if e["budget"] and (e.get(key) or 0.0) > e["budget"]
            ]
            rows.append(
                (
                    f"every notebook within its budget ({what})",
                    f"{len(nbs['items']) - len(over)} of {len(nbs['items'])}",
                    "all",
                    "yes" if not over else "**no**: " + ", ".join(over),
                    "-",
                    "-",
                )
            )
        total = nbs["total"]
        rows.append(
            (
                "whole course (every notebook, one after another)",
                f"{total:.0f} s (kernel CPU {nbs.get('cpu_total') or 0:.0f} s)",
                f"{COURSE_TARGET[0]:.0f} s",
                _holds(total, COURSE_TARGET[0]),
                f"{COURSE_TARGET[1]:.0f} s",
                _holds(total, COURSE_TARGET[1]),
            )
        )
    return rows


def _table(header: list[str], rows: list) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return out


def markdown(data: dict) -> str:
    """RESULTS.md's text for the measurements in ``data`` (results.json's content)."""
    lines = [
        "# Benchmark results",
        "",
        "Regenerated by `make bench` (`python -m tools.bench_layers`, then",
        "`python -m tools.bench_notebooks`); do not edit by hand. Ratios are the package's time",
        "over PyTorch's for forward + backward of one batch, both on one BLAS thread, measured side",
        "by side: runs alternate, and each figure is the median, over pairs of back-to-back runs,",
        "of the ratio within the pair (process CPU time), so machine noise hits both alike.",
        "Absolute times depend on the machine and its load; the ratios are what the targets",
        "(issue 9) are about.",
        "",
    ]
    m = data.get("machine")
    if m:
        lines += [
            f"Machine: {machine.summary(m)}. Load average at the start:"
            f" {m.get('load', m.get('load_1min', '?'))}. Measured {m.get('when', '?')}.",
            "",
        ]
    lines += ["## Targets", ""]
    lines += _table(
        ["figure", "measured", "target", "holds", "stretch", "holds"], summary_rows(data)
    )
    layers = data.get("layers", {})
    if layers:
        lines += ["", "## Forward + backward per batch (ms, median)", ""]
        rows = []
        for dtype in DTYPES:
            for cell in CELLS:
                for s in SIZES:
                    e = layers.get(f"{cell}/{dtype}/{size_key(s)}")
                    if not e:
                        continue
                    target, stretch = ratio_targets(cell, dtype, s)
                    rows.append(
                        (
                            cell.upper(),
                            dtype,
                            "(" + ", ".join(map(str, s)) + ")",
                            f"{e['ours_ms']:.2f}",
                            f"{e['torch_ms']:.2f}",
                            f"**{e['pair_ratio']:.2f}**",
                            f"{e['ours_ms'] / e['torch_ms']:.2f}",
                            f"{target:.1f}" + ("" if stretch is None else f" / {stretch:.1f}"),
                            _holds(e["pair_ratio"], target),
                            f"{e['max_rel_error']:.0e}",
                            e["runs"],
                        )
                    )
        lines += _table(
            [
                "layer",
                "dtype",
                "(N, T, D, H)",
                "ours",
                "torch",
                "ours/torch (paired runs)",
                "ratio of medians",
                "target / stretch",
                "holds",
                "max rel. error vs torch",
                "runs",
            ],
            rows,
        )
    share = data.get("gemm_share", {})
    if share:
        lines += [
            "",
            "## LSTM at (128, 200, 128, 512): achieved GFLOP/s against plain GEMMs",
            "",
            "The ceiling is the rate numpy reaches on plain matrix products of exactly the shapes",
            "the LSTM's forward and backward multiply (one big product each for the input",
            "projections, the recomputed pre-activations, dx and the weight gradients; T",
            "per-step recurrent products each way), run back to back with nothing in between.",
            "The share is achieved / ceiling. The useful rate counts only the products any LSTM",
            "needs (3 forward-sized products, not the backward's recomputation).",
            "",
        ]
        rows = [
            (
                d,
                f"{e['gflop_executed']:.1f}",
                f"{e['achieved_gflops']:.1f}",
                f"{e['ceiling_gflops']:.1f}",
                f"**{e['share']:.0%}**",
                f"{e['useful_gflops']:.1f}",
                f"{e['torch_useful_gflops']:.1f}",
            )
            for d, e in sorted(share.items())
        ]
        lines += _table(
            [
                "dtype",
                "GFLOP executed",
                "achieved GFLOP/s",
                "ceiling GFLOP/s",
                "share",
                "useful GFLOP/s (ours)",
                "useful GFLOP/s (torch)",
            ],
            rows,
        )
    steps = data.get("per_step", {})
    if steps:
        lines += [
            "",
            "## Per-step overhead at N = D = H = 1 (float64, µs per time step, forward + backward)",
            "",
            "The slope between T = 50 and T = 1050: fixed per-call costs cancel. The targets",
            "were set on a faster reference machine (AMD EPYC Zen 4, AVX-512, where torch takes",
            "26 / 77 / 82 µs per step); the last column scales ours by torch's time there over",
            "torch's time here.",
            "",
        ]
        rows = [
            (
                c.upper(),
                f"{e['ours_us']:.1f}",
                f"{e['torch_us']:.1f}",
                f"{e['ours_us'] / e['torch_us']:.2f}",
                f"{PER_STEP_TARGETS[c][0]:.0f} / {PER_STEP_TARGETS[c][1]:.0f}",
                f"{scaled_per_step(c, e):.1f}",
            )
            for c, e in steps.items()
        ]
        header = ["layer", "ours", "torch", "ours/torch", "target / stretch"]
        lines += _table([*header, "ours scaled to the reference machine"], rows)
    nbs = data.get("notebooks", {})
    if nbs.get("items"):
        lines += [
            "",
            "## Notebooks (one after another, each in a fresh kernel as tools.execute_notebooks runs them)",
            "",
            "The budgets (docs/CONVENTIONS.md, tools/budgets.py) are judged on the kernel's own",
            "CPU time, as the test command judges them; wall-clock time is shown beside it (on a",
            "machine busy with other work it is inflated).",
            "",
            f"Measured {nbs['when']} (load average at the start: {nbs['load']}).",
            "",
        ]
        if nbs.get("machine"):
            lines += [f"Machine: {machine.summary(nbs['machine'])}.", ""]
        rows = [
            (
                k,
                f"{e['seconds']:.1f}",
                "?" if e.get("cpu") is None else f"{e['cpu']:.1f}",
                "-" if e["budget"] is None else f"{e['budget']:.0f}",
                "-" if e["budget"] is None else _holds(e["seconds"], e["budget"]),
                "-" if e["budget"] is None else _holds(e.get("cpu"), e["budget"]),
                e.get("status", "ok"),
            )
            for k, e in nbs["items"].items()
        ]
        rows.append(
            (
                "**total**",
                f"**{nbs['total']:.0f}**",
                f"**{nbs.get('cpu_total') or 0:.0f}**",
                f"{COURSE_TARGET[0]:.0f} (goal {COURSE_TARGET[1]:.0f})",
                _holds(nbs["total"], COURSE_TARGET[0]),
                _holds(nbs.get("cpu_total"), COURSE_TARGET[0]),
                "",
            )
        )
        header = ["notebook", "wall s", "kernel CPU s", "budget s", "within (wall)"]
        lines += _table([*header, "within (CPU)", "status"], rows)
    return "\n".join(lines) + "\n"


def write_markdown(data: dict) -> None:
    RESULTS_MD.write_text(markdown(data))


def write_chart(data: dict) -> None:
    """Bar chart: ratios per size (one panel per dtype), per-step overhead, notebook times."""
    import numpy as np

    from rnncourse.plots import COLORS, PALETTE, new_figure, style_axes

    layers = data.get("layers", {})
    steps = data.get("per_step", {})
    nbs = data.get("notebooks", {}).get("items", {})
    fig, axes = new_figure(2, 2, width=12, height=8, title="rnncourse vs PyTorch (1 BLAS thread)")
    x = np.arange(len(SIZES))
    width = 0.27
    for ax, dtype in zip(axes[0], DTYPES, strict=True):
        for k, cell in enumerate(CELLS):
            vals = [
                layers.get(f"{cell}/{dtype}/{size_key(s)}", {}).get("pair_ratio", np.nan)
                for s in SIZES
            ]
            ax.bar(x + (k - 1) * width, vals, width, color=COLORS[k], label=cell.upper())
        ax.axhline(1.0, color=PALETTE["black"], linewidth=1)
        if dtype == "float32":
            ax.axhline(1.5, color=COLORS[1], linestyle="--", linewidth=1, label="LSTM target 1.5")
            ax.axhline(
                1.2, color=PALETTE["grey"], linestyle="--", linewidth=1, label="RNN/GRU target 1.2"
            )
        ax.set_xticks(
            x, ["\n".join(map(str, s[:2])) + "\n" + ",".join(map(str, s[2:])) for s in SIZES]
        )
        style_axes(
            ax,
            title=f"{dtype}: time ours / torch (lower is faster)",
            xlabel="N, T / D, H",
            ylabel="ratio",
            legend=True,
        )
    ax = axes[1, 0]
    cells = [c for c in CELLS if c in steps]
    xs = np.arange(len(cells))
    ax.bar(xs - 0.2, [steps[c]["ours_us"] for c in cells], 0.4, color=COLORS[0], label="rnncourse")
    ax.bar(xs + 0.2, [steps[c]["torch_us"] for c in cells], 0.4, color=COLORS[1], label="torch")
    ax.scatter(
        xs - 0.2,
        [PER_STEP_TARGETS[c][0] for c in cells],
        marker="_",
        s=400,
        color=PALETTE["black"],
        label="target",
        zorder=3,
    )
    ax.set_xticks(xs, [c.upper() for c in cells])
    style_axes(ax, title="per-step overhead, N=D=H=1, float64", ylabel="µs per step", legend=True)
    ax = axes[1, 1]
    names = list(nbs)
    ys = np.arange(len(names))
    secs = [nbs[n]["seconds"] for n in names]
    limits = [nbs[n]["budget"] or np.nan for n in names]
    colors = [
        COLORS[3] if b == b and s > b else COLORS[2] for s, b in zip(secs, limits, strict=True)
    ]
    ax.barh(ys, secs, color=colors)
    ax.scatter(limits, ys, marker="|", s=120, color=PALETTE["black"], label="budget", zorder=3)
    ax.set_yticks(ys, names, fontsize=7)
    ax.invert_yaxis()
    total = data.get("notebooks", {}).get("total")
    title = "notebook run times" + (f" (total {total:.0f} s)" if total else "")
    style_axes(ax, title=title, xlabel="seconds", legend=bool(names))
    fig.savefig(RESULTS_PNG, dpi=80)


def write_report() -> None:
    data = load()
    write_markdown(data)
    write_chart(data)
    print(f"wrote {RESULTS_MD.relative_to(REPO)} and {RESULTS_PNG.relative_to(REPO)}")


def print_summary(data: dict) -> None:
    rows = summary_rows(data)
    w = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n{'figure':<{w}}  measured / target: holds / stretch: holds")
    for fig, got, t, ok, s, sok in rows:
        print(f"{fig:<{w}}  {got}  / {t}: {ok.strip('*')} / {s}: {sok.strip('*')}")


def main() -> int:
    data = load()
    print_summary(data)
    write_report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Call a learner's function under a time limit and encode what it returned, as plain data.

This runs in two places: inside ``check`` (in the learner's own process) and, for batch
grading, inside the learner's kernel, where the grader sends this module's *source* and runs
it in a private namespace. So it imports only the standard library and numpy, and everything
it produces is plain data: JSON-able metadata and a dict of numeric arrays (saved as ``.npz``,
never pickled). Judging the result happens elsewhere (``rnncourse.grading.compare``), in the
grading process.

Encoded result of one call:
    {"status": "returned", "outputs": [ITEM, ...]}   or
    {"status": "returned", "top": {"kind": "not-a-tuple" | "wrong-length", ...}}  or
    {"status": "raised", "error": ERROR}
ITEM is {"kind": "array", "key", "dtype", "shape"} | {"kind": "scalar", "key", "type"} |
{"kind": "dict", "items": {name: ITEM}} | {"kind": "list", "len"} |
{"kind": "bad-dtype", "dtype"} | {"kind": "other", "type"}.
"""

import contextlib
import json
import linecache
import signal
import sys
import threading
import traceback
import warnings

import numpy as np

_SELF_FILES = {__file__ if "__file__" in globals() else "", "<rnncourse-grading-driver>"}


class CallTimeout(BaseException):
    """Raised in the learner's code when it runs past its time limit."""


@contextlib.contextmanager
def time_limit(seconds):
    """Interrupt the block after ``seconds`` (POSIX main thread only; otherwise no limit)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _alarm(signum, frame):
        raise CallTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, _alarm)
    # repeat every 0.5 s in case the learner's code swallows the first interrupt
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def copy_value(value):
    """A private deep copy of an input: arrays copied, dicts rebuilt, scalars as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    return value


def flatten(value, key, out):
    """Arrays of an input value under '|'-joined keys (dicts one level deep)."""
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{key}|{k}", out)
    else:
        out[key] = np.asarray(value)
    return out


def error_record(exc):
    """What went wrong, as plain data: type, message, the learner's failing line, local shapes."""
    frames = [f for f, _ in traceback.walk_tb(exc.__traceback__)]
    mine = [
        f
        for f in frames
        if f.f_code.co_filename not in _SELF_FILES
        and "/numpy/" not in f.f_code.co_filename.replace("\\", "/")
    ]
    line, shapes = "", {}
    stack = []
    for f, ln in traceback.walk_tb(exc.__traceback__):
        if f in mine:
            stack.append(linecache.getline(f.f_code.co_filename, ln).strip()[:300])
    if mine:
        frame = mine[-1]
        lineno = frame.f_lineno
        for f, ln in traceback.walk_tb(exc.__traceback__):
            if f is frame:
                lineno = ln
        line = linecache.getline(frame.f_code.co_filename, lineno).strip()
        for name, value in list(frame.f_locals.items()):
            if isinstance(value, np.ndarray):
                shapes[name] = list(value.shape)
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:500],
        "line": line[:300],
        "stack": stack[-6:],
        "shapes": shapes,
        "not_implemented": isinstance(exc, NotImplementedError),
        "timeout": isinstance(exc, CallTimeout),
    }


def _encode_item(x, key, arrays):
    if isinstance(x, (bool, np.bool_)):
        return {"kind": "other", "type": type(x).__name__}
    if isinstance(x, np.ndarray):
        arr = np.asarray(x)  # a plain ndarray view of any subclass
        if arr.dtype.kind not in "fiu":
            return {"kind": "bad-dtype", "dtype": str(arr.dtype), "shape": list(arr.shape)}
        arrays[key] = np.array(arr, copy=True)
        return {"kind": "array", "key": key, "dtype": str(arr.dtype), "shape": list(arr.shape)}
    if isinstance(x, (float, int, np.floating, np.integer)):
        arrays[key] = np.array(float(x), dtype=np.float64)
        return {"kind": "scalar", "key": key, "type": type(x).__name__}
    if isinstance(x, dict):
        items = {}
        for i, (k, v) in enumerate(x.items()):
            items[str(k)] = _encode_item(v, f"{key}.{i}", arrays)
        return {"kind": "dict", "items": items}
    if isinstance(x, (list, tuple)):
        return {"kind": "list", "len": len(x), "type": type(x).__name__}
    return {"kind": "other", "type": type(x).__name__}


def encode(raw, n_outputs, prefix="o"):
    """Encode a returned value into (metadata, arrays)."""
    arrays = {}
    if n_outputs == 1:
        items = [raw]
    elif not isinstance(raw, (tuple, list)):
        return {
            "status": "returned",
            "top": {"kind": "not-a-tuple", "type": type(raw).__name__},
        }, {}
    elif len(raw) != n_outputs:
        return {"status": "returned", "top": {"kind": "wrong-length", "len": len(raw)}}, {}
    else:
        items = list(raw)
    meta = [_encode_item(x, f"{prefix}{i}", arrays) for i, x in enumerate(items)]
    return {"status": "returned", "outputs": meta}, arrays


def call(fn, args, n_outputs, timeout, prefix="o"):
    """Call ``fn(*args)`` (args already private copies) and encode the outcome."""
    try:
        with time_limit(timeout), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # overflow shows up as inf/NaN in the verdict
            raw = fn(*args)
    except CallTimeout as exc:
        return {"status": "raised", "error": error_record(exc)}, {}
    except Exception as exc:
        return {"status": "raised", "error": error_record(exc)}, {}
    except SystemExit as exc:
        record = error_record(exc)
        record["message"] = f"SystemExit({exc.code!r}): the function called sys.exit()"
        return {"status": "raised", "error": record}, {}
    try:
        return encode(raw, n_outputs, prefix)
    except Exception as exc:  # e.g. an object whose len() or items() raise
        return {"status": "returned", "top": {"kind": "unreadable", "type": repr(exc)[:200]}}, {}


def run_request(namespace, request_path, inputs_path, result_path, arrays_path):
    """Batch mode, inside the learner's kernel: call each requested function on the grader's
    inputs and write the results (JSON + .npz). ``namespace`` is the notebook's globals."""
    with open(request_path) as f:
        request = json.load(f)
    with np.load(inputs_path, allow_pickle=False) as data:
        stored = {k: data[k] for k in data.files}
    results, arrays, timed_out = [], {}, set()
    for j, item in enumerate(request["calls"]):
        fn = namespace.get(item["function"])
        if item["function"] in timed_out:  # one endless loop is enough to wait for
            results.append({"status": "skipped"})
            continue
        if not callable(fn):
            results.append({"status": "missing"})
            continue
        args = []
        for spec in item["args"]:
            key = f"{item['case']}|{spec['name']}"
            if spec["kind"] == "dict":
                args.append({k: stored[f"{key}|{k}"].copy() for k in spec["keys"]})
            elif spec["kind"] == "scalar":
                args.append(float(stored[key]))
            else:
                args.append(stored[key].copy())
        # -- the no-credit rule (rnncourse.grading.noref): the guard is defined in this namespace
        # when the grader sent its source along (batch grading); elsewhere a plain call
        guard = globals().get("reference_guard")
        if guard is not None and request.get("references"):
            meta, out = guard(
                call,
                fn,
                args,
                item["n_outputs"],
                request["timeout"],
                f"{j}|o",
                request["references"],
            )
        else:
            meta, out = call(fn, args, item["n_outputs"], request["timeout"], prefix=f"{j}|o")
        # -- end of the no-credit rule
        if meta["status"] == "raised" and meta["error"]["timeout"]:
            timed_out.add(item["function"])
        arrays.update(out)
        after = {}
        for spec, value in zip(item["args"], args, strict=True):
            flatten(value, f"{j}|in|{spec['name']}", after)
        for k, v in after.items():
            if v.dtype.kind in "fiub":
                arrays[k] = v
        results.append(meta)
    np.savez(arrays_path, **arrays)
    with open(result_path, "w") as f:
        json.dump({"results": results}, f)


if __name__ == "__main__":  # pragma: no cover - the module is imported or exec'd
    sys.exit(0)

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
{"kind": "dict", "items": {name: ITEM}} | {"kind": "string", "value"} | {"kind": "list", "len"} |
{"kind": "bad-dtype", "dtype"} | {"kind": "other", "type"}; dicts are read two levels deep
(optimiser state such as {"m": {"W_xh": ...}, "v": {...}}), deeper ones are "other".

Inputs (grader -> kernel) are described by ARG specs (:func:`input_spec`, :func:`build_input`):
{"kind": "array"} | {"kind": "scalar"} | {"kind": "int"} | {"kind": "string", "value"} |
{"kind": "rng", "seed"} (a fresh ``np.random.default_rng(seed)`` built in the kernel) |
{"kind": "dict", "items": {key: ARG}} | {"kind": "tuple", "items": [ARG, ...]}, at most two
levels of dicts/tuples; arrays travel in the .npz under '|'-joined keys.

A request's call may instead ask for a value (``{"value": name}``: a notebook variable, read
and encoded like a result) or repeat a call (``"repeat": n``: n calls sharing one rng, the
results stacked into one array, for items graded on a distribution).
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


class RngSeed:
    """A case input that is a random generator: the learner's function receives
    ``np.random.default_rng(seed)``, built where the function runs."""

    __slots__ = ("seed",)

    def __init__(self, seed):
        self.seed = int(seed)

    def __repr__(self):
        return f"RngSeed({self.seed})"

    def __eq__(self, other):
        return isinstance(other, RngSeed) and other.seed == self.seed

    def __hash__(self):
        return hash(("RngSeed", self.seed))


MAX_DEPTH = 2  # dicts/tuples nested at most this deep cross between grader and kernel


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
    """A private deep copy of an input: arrays copied, dicts and tuples rebuilt, an
    :class:`RngSeed` turned into a fresh generator, scalars as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(copy_value(v) for v in value)
    if isinstance(value, RngSeed):
        return np.random.default_rng(value.seed)
    return value


def flatten(value, key, out):
    """Arrays of an input value under '|'-joined keys (dicts and tuples nested); an optional
    argument given as None has none."""
    if value is None:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{key}|{k}", out)
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            flatten(v, f"{key}|{i}", out)
    elif isinstance(value, (RngSeed, str, np.random.Generator)):
        pass  # nothing an in-place change could alter that the grader compares
    else:
        out[key] = np.asarray(value)
    return out


def input_spec(value, key, arrays, depth=0):
    """The ARG spec of an input value (grader side); its arrays go into ``arrays``."""
    if isinstance(value, RngSeed):
        return {"kind": "rng", "seed": value.seed}
    if value is None:  # an optional argument left out (W_hr=None)
        return {"kind": "none"}
    if isinstance(value, str):
        return {"kind": "string", "value": value}
    if isinstance(value, (dict, tuple)):
        if depth >= MAX_DEPTH:
            raise ValueError(f"{key}: inputs nest dicts/tuples at most {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            items = {
                str(k): input_spec(v, f"{key}|{k}", arrays, depth + 1) for k, v in value.items()
            }
            return {"kind": "dict", "items": items}
        items = [input_spec(v, f"{key}|{i}", arrays, depth + 1) for i, v in enumerate(value)]
        return {"kind": "tuple", "items": items}
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{key}: a bool input is not supported")
    if isinstance(value, (int, np.integer)):
        arrays[key] = np.asarray(int(value))
        return {"kind": "int"}
    if isinstance(value, (float, np.floating)):
        arrays[key] = np.asarray(float(value))
        return {"kind": "scalar"}
    arrays[key] = np.asarray(value)
    return {"kind": "array"}


def build_input(spec, stored, key):
    """The input value an ARG spec describes (kernel side): fresh copies, a fresh rng."""
    kind = spec["kind"]
    if kind == "rng":
        return np.random.default_rng(int(spec["seed"]))
    if kind == "none":
        return None
    if kind == "string":
        return str(spec["value"])
    if kind == "dict":
        return {k: build_input(v, stored, f"{key}|{k}") for k, v in spec["items"].items()}
    if kind == "tuple":
        return tuple(build_input(v, stored, f"{key}|{i}") for i, v in enumerate(spec["items"]))
    if kind == "int":
        return int(stored[key])
    if kind == "scalar":
        return float(stored[key])
    if "keys" in spec:  # the earlier one-level dict spec
        return {k: stored[f"{key}|{k}"].copy() for k in spec["keys"]}
    return stored[key].copy()


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


def _encode_item(x, key, arrays, depth=0):
    if isinstance(x, (bool, np.bool_)):
        return {"kind": "other", "type": type(x).__name__}
    if isinstance(x, str):
        return {"kind": "string", "value": x[:1000], "len": len(x)}
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
        if depth >= MAX_DEPTH or len(x) > 1000:
            return {"kind": "other", "type": "dict nested more than two levels, or too long"}
        items = {}
        for i, (k, v) in enumerate(x.items()):
            items[str(k)] = _encode_item(v, f"{key}.{i}", arrays, depth + 1)
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


def call_repeated(fn, args, n_outputs, timeout, repeat, prefix="o"):
    """Call ``fn`` ``repeat`` times on fresh copies of ``args`` that share one rng (the
    generator in ``args`` is passed as it is, so the draws continue), and encode the results
    stacked into one array: what a distribution-graded item is judged on."""
    rng_at = [i for i, a in enumerate(args) if isinstance(a, np.random.Generator)]
    draws = []
    try:
        with time_limit(timeout), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for _ in range(int(repeat)):
                fresh = [a if i in rng_at else copy_value(a) for i, a in enumerate(args)]
                out = fn(*fresh)
                if isinstance(out, (bool, np.bool_)) or not isinstance(
                    out, (int, float, np.integer, np.floating, np.ndarray)
                ):
                    return encode(out, n_outputs, prefix)
                draws.append(out)
    except CallTimeout as exc:
        return {"status": "raised", "error": error_record(exc)}, {}
    except Exception as exc:
        return {"status": "raised", "error": error_record(exc)}, {}
    except SystemExit as exc:
        record = error_record(exc)
        record["message"] = f"SystemExit({exc.code!r}): the function called sys.exit()"
        return {"status": "raised", "error": record}, {}
    try:
        stacked = np.array(draws)
    except Exception:
        return {"status": "returned", "top": {"kind": "unreadable", "type": "ragged draws"}}, {}
    return encode(stacked, 1, prefix)


def read_value(namespace, name, prefix="o"):
    """A notebook variable, encoded like a function's result (a value item's answer)."""
    if name not in namespace:
        return {"status": "missing"}, {}
    try:
        return encode(namespace[name], 1, prefix)
    except Exception as exc:
        return {"status": "returned", "top": {"kind": "unreadable", "type": repr(exc)[:200]}}, {}


def _request_args(item, stored):
    """The arguments of one requested call, built from its ARG specs."""
    return [build_input(spec, stored, f"{item['case']}|{spec['name']}") for spec in item["args"]]


def run_request(namespace, request_path, inputs_path, result_path, arrays_path):
    """Batch mode, inside the learner's kernel: call each requested function on the grader's
    inputs and write the results (JSON + .npz). ``namespace`` is the notebook's globals."""
    with open(request_path) as f:
        request = json.load(f)
    with np.load(inputs_path, allow_pickle=False) as data:
        stored = {k: data[k] for k in data.files}
    results, arrays, timed_out = [], {}, set()
    for j, item in enumerate(request["calls"]):
        if "value" in item:
            meta, out = read_value(namespace, item["value"], prefix=f"{j}|o")
            arrays.update(out)
            results.append(meta)
            continue
        fn = namespace.get(item["function"])
        if item["function"] in timed_out:  # one endless loop is enough to wait for
            results.append({"status": "skipped"})
            continue
        if not callable(fn):
            results.append({"status": "missing"})
            continue
        args = _request_args(item, stored)
        # -- the no-credit rule (rnncourse.grading.noref): the guard is defined in this namespace
        # when the grader sent its source along (batch grading); elsewhere a plain call
        guard = globals().get("reference_guard")
        caller = call_repeated if item.get("repeat") else call
        extra = (item["repeat"],) if item.get("repeat") else ()
        if guard is not None and request.get("references"):
            meta, out = guard(
                lambda f, a, n, t, prefix, c=caller, e=extra: c(f, a, n, t, *e, prefix=prefix),
                fn,
                args,
                item["n_outputs"],
                request["timeout"],
                f"{j}|o",
                request["references"],
            )
        else:
            meta, out = caller(
                fn, args, item["n_outputs"], request["timeout"], *extra, prefix=f"{j}|o"
            )
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

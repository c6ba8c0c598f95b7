"""The no-credit rule, inside the learner's kernel: did a graded call use the package's answer?

Like ``_driver``, this runs inside the learner's kernel for batch grading (the grader sends
its *source*, executed in the driver's private namespace), so it imports only the standard
library. :func:`reference_guard` wraps ``_driver.call``: while the learner's function runs, a
profile hook (``sys.setprofile``, every thread) watches every Python function entered; entering
one of the catalogued references (identified by file, first line and name, which the grader
sends) or any code of the grading package itself marks the call. A learner's function that
switches the hook off is marked too. The marked result carries
``"reference": {"used": "<module>.<name>" | "", "tampered": bool}`` in its metadata; the grader
gives no credit for it and flags the submission ``reference-used``
(``rnncourse.grading.noref``).

In the sandbox the references are not there at all (``rnncourse.grading.sandbox``); this
check is what holds for ``--no-sandbox`` and ``rnncourse progress``.
"""

import sys
import threading


def reference_guard(call, fn, args, n_outputs, timeout, prefix, references):
    """``call(fn, args, n_outputs, timeout, prefix)`` under the hook; returns (meta, arrays).

    ``references``: {"codes": [[filename, firstlineno, name, label], ...], "roots": [folder]}.
    """
    codes = {(f, int(line), name): label for f, line, name, label in references.get("codes", [])}
    roots = tuple(str(r).rstrip("/") + "/" for r in references.get("roots", []))
    used = []
    real_setprofile = sys.setprofile

    def hook(frame, event, arg):
        if event != "call" or used:
            return
        code = frame.f_code
        label = codes.get((code.co_filename, code.co_firstlineno, code.co_name))
        if label is None and roots and code.co_filename.startswith(roots):
            label = f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"
        if label is not None:
            used.append(label)

    genuine = getattr(real_setprofile, "__self__", None) is sys and (
        getattr(real_setprofile, "__name__", "") == "setprofile"
    )
    threading.setprofile(hook)
    real_setprofile(hook)
    try:
        meta, arrays = call(fn, args, n_outputs, timeout, prefix)
    finally:
        tampered = not genuine or sys.getprofile() is not hook
        real_setprofile(None)
        threading.setprofile(None)
    meta["reference"] = {"used": used[0] if used else "", "tampered": bool(tampered)}
    return meta, arrays

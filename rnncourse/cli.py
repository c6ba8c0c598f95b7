"""The ``rnncourse`` command: one entry point, one module per subcommand.

    rnncourse grade SUBMISSION.ipynb... [--json F] [--csv F]   batch grading (instructors)
    rnncourse progress [--work work/]                          which exercises pass (learners)
    rnncourse sync-work                                        copy new exercises into work/

Each subcommand lives in its own module and is imported only when called, so the command
starts fast and a subcommand's dependencies are never loaded by another.
"""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS = {
    "grade": ("rnncourse.grading.batch", "grade a folder of submitted notebooks"),
    "progress": ("rnncourse.progress", "show which of your exercises in work/ pass"),
    "sync-work": ("rnncourse.workspace", "copy exercise notebooks into work/ (never overwrites)"),
}


def usage() -> str:
    lines = ["usage: rnncourse COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"rnncourse: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())

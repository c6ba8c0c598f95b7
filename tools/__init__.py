"""The maintainers' programs: run each from the repository root as ``python -m tools.NAME``.

=====================  ===========================================================================
``bootstrap``          behind ``make lab`` / ``make test``; standard library only, and the one
                       program run by path (``python3 tools/bootstrap.py``), before any environment
                       exists
``update``             behind ``make update``: brings the course up to date with git, first keeping
                       every notebook the learner edited in ``work/``; standard library only
``execute_notebooks``  re-run lessons and solutions in place, as they are committed
``notebook_timer``     the one notebook timer (wall time, kernel CPU time) of the test command's
                       budget table, the benchmark and the timetable
``budgets``            the notebooks' time budgets, keyed on each notebook's lesson id
``machine``            the machine description written beside every measurement
``bench_layers``       the package's RNN, LSTM and GRU against PyTorch's (``make bench``)
``bench_notebooks``    ``import rnncourse`` and every notebook against its budget (``make bench``)
``bench_report``       the benchmark's targets, and its report ``results/bench/RESULTS.md``
``bench_kernels_old_new``  the sequence kernels of a past commit against today's and torch's, side
                       by side in one run (to show a refactoring costs no speed)
``bench_sandbox``      ``rnncourse grade`` sandboxed against ``--no-sandbox``, side by side in one run
                       (the sandbox's cost, ``results/grading_sandbox.json``)
``measure_runtimes``   every notebook's run time and the instructors' timetable
``extract_series``     the CO2 series of lesson 9, extracted once from statsmodels
``check_structure``    the package's layering rules, read from its source (docs/ARCHITECTURE.md)
``hub_load``           a room of learners on a real JupyterHub on this machine, timed
                       (``make hub-test``; instructors/jupyterhub.md quotes its figures)
``seeded_bugs``        deliberate one-line bugs, each applied to a copy of the repository: the
                       test suite must catch every one (list in ``tools/seeded_bugs.json``)
=====================  ===========================================================================

What each program writes, and the test that checks it: ``results/README.md``.
"""

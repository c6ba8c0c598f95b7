"""One module per graded function; each defines ``EXERCISE`` (see ``rnncourse.grading``).

Modules whose names start with ``_`` hold shared helpers and are not exercises.
"""

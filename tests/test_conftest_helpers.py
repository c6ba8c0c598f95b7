"""The optional-dependency helpers of tests/conftest.py: skip where missing, fail under REQUIRE_ALL."""

from __future__ import annotations

import pytest

MISSING = "rnncourse_no_such_module"


def test_missing_module_skips_with_a_reason(require, monkeypatch):
    monkeypatch.setitem(require.__globals__, "REQUIRE_ALL", False)
    with pytest.raises(pytest.skip.Exception, match=f"needs {MISSING}"):
        require(MISSING)


def test_missing_module_fails_under_require_all(require, monkeypatch):
    monkeypatch.setitem(require.__globals__, "REQUIRE_ALL", True)
    with pytest.raises(pytest.fail.Exception, match="RNNCOURSE_REQUIRE_ALL=1"):
        require(MISSING)


def test_present_module_is_returned(require):
    assert require("json").dumps([1]) == "[1]"


def test_missing_chromium_fails_under_require_all(require, monkeypatch):
    helpers = require.__globals__
    monkeypatch.setitem(helpers, "REQUIRE_ALL", True)
    monkeypatch.setitem(helpers, "find_chromium", lambda: None)
    monkeypatch.setitem(helpers, "require_module", lambda name: None)  # pretend playwright is there
    with pytest.raises(pytest.fail.Exception, match="Chromium"):
        helpers["require_browser"]()


@pytest.mark.parametrize(
    "path, budget",
    [
        ("notebooks/00_start_here.ipynb", 20.0),
        ("notebooks/04_parameter_sharing.ipynb", 20.0),
        ("notebooks/05_bptt.ipynb", 30.0),
        ("notebooks/06_vanishing_exploding.ipynb", 30.0),
        ("notebooks/07_lstm.ipynb", 60.0),
        ("notebooks/08_gru.ipynb", 60.0),
        ("notebooks/09_applications.ipynb", 90.0),
        ("solutions/03_outputs.ipynb", 10.0),
        ("exercises/03_outputs.ipynb", 5.0),
        ("tests/fixtures/x.ipynb", None),
    ],
)
def test_contract_budgets(require, path, budget):
    assert require.__globals__["budget_for"](path) == budget

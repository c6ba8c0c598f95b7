"""Extract the Mauna Loa CO2 series from statsmodels once, into a small CSV the course ships.

statsmodels is NOT a course dependency: run this in a scratch environment,

    python3 -m venv /tmp/sm && /tmp/sm/bin/pip install statsmodels
    /tmp/sm/bin/python -m tools.extract_series     # from the course folder: rnncourse/data/co2_weekly.csv

The CSV has one row per week (date, CO2 in ppm; empty where the week has no measurement),
preceded by comment lines giving the source and licence as statsmodels states them.
"""

from __future__ import annotations

import math
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "rnncourse" / "data" / "co2_weekly.csv"


def main() -> None:
    import statsmodels
    from statsmodels.datasets import co2

    data = co2.load_pandas().data  # weekly, indexed by date, column "co2"
    header = [
        "# Atmospheric CO2 at Mauna Loa Observatory, Hawaii, weekly, 1958-03-29 to 2001-12-29.",
        f"# Extracted by tools/extract_series.py from statsmodels {statsmodels.__version__}"
        " (statsmodels.datasets.co2).",
        "# Licence: public domain (statsmodels: 'This is public domain.').",
        "# Source: Keeling, C.D. and T.P. Whorf. 2004. Atmospheric CO2 concentrations derived from",
        "#   flask air samples at sites in the SIO network. In Trends: A Compendium of Data on",
        "#   Global Change. Carbon Dioxide Information Analysis Center, Oak Ridge National",
        "#   Laboratory, U.S. Department of Energy, Oak Ridge, Tennessee, U.S.A.",
        "# Units: parts per million by volume (ppmv). Empty co2_ppm = no measurement that week.",
    ]
    lines = [*header, "date,co2_ppm"]
    for date, value in zip(data.index, data["co2"], strict=True):
        cell = "" if math.isnan(value) else f"{value:.1f}"
        lines.append(f"{date:%Y-%m-%d},{cell}")
    OUT.write_text("\n".join(lines) + "\n", encoding="ascii")
    print(f"wrote {OUT} ({len(data)} weeks, {int(data['co2'].isna().sum())} without data)")


if __name__ == "__main__":
    main()

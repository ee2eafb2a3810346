"""Reports: the pages, plots and workbooks of compare, curve, pareto and sweep, in the
command's language (:mod:`symbiosis.i18n`).

* :mod:`~symbiosis.report.plots`: matplotlib figures as PNG bytes (the comparison's bars,
  the target-cost curve, the cost-CO2 front);
* :mod:`~symbiosis.report.labels`: what reports call things (headers in words with units,
  KPI, cost-part and status words), in the current language;
* :mod:`~symbiosis.report.tables`: tables as pages show them (numbers formatted);
* :mod:`~symbiosis.report.pages`: self-contained HTML pages rendered from the Jinja2
  templates in ``symbiosis/templates/`` (autoescaping on: every name from data is escaped);
* :mod:`~symbiosis.report.excel`: the comparison as an Excel workbook;
* :mod:`~symbiosis.report.write`: writing a comparison as ``.xlsx``, ``.html`` or ``.csv``,
  and the sweep's fallback page, each written aside and moved in whole.

The analysis itself (what differs between runs, and why) is :mod:`symbiosis.compare`'s.
"""

from __future__ import annotations

from symbiosis.report.excel import write_xlsx
from symbiosis.report.pages import (
    compare_page,
    curve_html,
    environment,
    figure_data_uri,
    pareto_html,
    render,
    sweep_page,
)
from symbiosis.report.plots import comparison_plots, curve_plot, figure_png, pareto_plot
from symbiosis.report.tables import Table, number_format, table_view
from symbiosis.report.write import (
    REPORT_SUFFIXES,
    csv_writers,
    write_csv,
    write_html,
    write_report,
    write_sweep_page,
)

__all__ = [
    "REPORT_SUFFIXES",
    "Table",
    "compare_page",
    "comparison_plots",
    "csv_writers",
    "curve_html",
    "curve_plot",
    "environment",
    "figure_data_uri",
    "figure_png",
    "number_format",
    "pareto_html",
    "pareto_plot",
    "render",
    "sweep_page",
    "table_view",
    "write_csv",
    "write_html",
    "write_report",
    "write_sweep_page",
    "write_xlsx",
]

"""Shared by the server-drawn SVG charts (cases/charts.py, evaluation/charts.py)."""


def units(value: float) -> str:
    """An SVG coordinate: one decimal, written with a decimal point whatever the page's language."""
    return f"{value:.1f}"

"""Shared rules for the evaluation's aggregate reads. No row identifies a child."""

# Cells with fewer cases than this are suppressed in every report.
MIN_CELL_SIZE = 5

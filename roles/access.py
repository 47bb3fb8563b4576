"""Moved to professionals.qualifications (it reads qualifications; roles comes first).

TEMPORARY re-export for demo/checks.py, which another change owns; delete this module and its
ignore_imports line in pyproject.toml once demo imports professionals.qualifications.
"""

from professionals.qualifications import is_sworn_on as is_sworn_on
from professionals.qualifications import roles_available_to as roles_available_to

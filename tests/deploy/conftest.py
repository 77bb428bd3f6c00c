"""Fixtures for the deployment tests; everything is defined in deploy_util.py."""
from deploy_util import helm, node_modules, pytest_terminal_summary  # noqa: F401  (pytest hooks/fixtures)

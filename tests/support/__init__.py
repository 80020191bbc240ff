"""Test helpers shared by the unit, integration and bench suites."""

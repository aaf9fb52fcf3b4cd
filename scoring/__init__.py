"""Pure domain logic: maturity model, indicators, subsidy rules. No I/O in this package.

Nothing here may import flask, sqlmodel, sqlalchemy, paho, apscheduler or read the process environment;
tests/test_architecture.py walks the imports and fails on a violation.
"""

"""智诊 — the glue: settings, data model, services, order workflow, CLI and scheduled jobs."""

__version__ = "0.1.0"

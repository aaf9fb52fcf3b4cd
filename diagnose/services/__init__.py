"""Data access: functions with keyword-only arguments and an explicit session. Views and CLI call these."""

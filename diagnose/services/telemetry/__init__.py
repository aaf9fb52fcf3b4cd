"""Telemetry storage and reading: roll-ups, retention, PostgreSQL partitions, indicator inputs."""

"""The bureau's supervision: audit records and flags, league tables and exports, overview figures and their shared cache, status counts."""

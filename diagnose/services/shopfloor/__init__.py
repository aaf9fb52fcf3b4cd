"""A plant's devices and gateways: registry, review, ledger, broker accounts, payload profiles, the connection check, dead letters, state models."""

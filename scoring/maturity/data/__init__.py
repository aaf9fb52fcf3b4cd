"""Versioned data files of the maturity model (requirements, weights, evidence rules, actions)."""

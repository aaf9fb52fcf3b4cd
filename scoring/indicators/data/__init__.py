"""Versioned data files of the indicators: figure rules (minimum data per card) and national holiday notices."""

"""Versioned data files of the SME digital-level index."""

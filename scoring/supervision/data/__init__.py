"""Versioned data files of the bureau audit (anomaly thresholds, fee caps), each record cited."""

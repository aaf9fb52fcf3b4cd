"""Small pure machine-learning helpers (scikit-learn, fixed random_state; no I/O)."""

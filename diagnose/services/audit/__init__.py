"""The append-only audit log: writing it, its checkpoints, verifying the chain, reading it per role."""

"""The audit trail and its signed checkpoints."""

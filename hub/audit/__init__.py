"""The audit log: who changed what, and when, for admins to read."""

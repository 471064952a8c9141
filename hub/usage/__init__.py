"""Usage facts, events, occupancy and per-agency reports, imports and retention."""

"""Cost items, funding, the allocation engine and statements."""

"""Layer kinds: merging family (entries are added here)."""

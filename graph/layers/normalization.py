"""Layer kinds: normalization family (entries are added here)."""

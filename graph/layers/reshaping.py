"""Layer kinds: reshaping family (entries are added here)."""

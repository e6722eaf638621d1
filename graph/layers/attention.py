"""Layer kinds: attention family (entries are added here)."""

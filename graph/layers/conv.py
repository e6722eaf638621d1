"""Layer kinds: conv family (entries are added here)."""

"""Layer kinds: activations family (entries are added here)."""

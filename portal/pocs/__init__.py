"""Hyperscalers, target customers and the sequence of their POCs."""

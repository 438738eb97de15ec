"""Gating workstreams: their pages, RAG history, exit criteria and dependencies."""

"""Audit trail: every change to program data is recorded in the same transaction."""

"""Logins, roles and the permission rules."""

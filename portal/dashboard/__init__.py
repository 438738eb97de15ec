"""The program lead's home page."""

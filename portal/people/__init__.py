"""People and teams: who owns things and who gets mail."""

"""Meeting-note import: reading Obsidian Tasks notes and applying them to the program."""

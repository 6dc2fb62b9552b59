"""Developer tools for the pathway files (not part of the installed app)."""

"""The `paperbot` command: the knowledge base from a terminal, and `run` for the bot."""

"""The agent console: commands, how the queue and packet render, approvals."""

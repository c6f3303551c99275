"""The `frontline` command: serve, setup, kb, audit, token, triage, trace."""

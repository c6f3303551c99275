"""Figures computed from the system of record: the support lead's report (`frontline report`)."""

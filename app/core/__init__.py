"""The kernel every layer may use: errors, the clock, value types, config-file and
language-file loading, what the customer is told (`say`), resilience. Imports nothing else from Frontline."""

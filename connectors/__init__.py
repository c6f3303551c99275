"""A company's business systems behind typed protocols (connectors/base.py).

Importing the package registers the built-in connectors, `demo_sqlite` and `rest`, with
connectors/registry.py; a third-party connector registers itself the same way.
"""

from connectors import demo_sqlite, rest  # noqa: F401  (each registers itself)

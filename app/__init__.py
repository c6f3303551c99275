"""Frontline: a self-hosted AI customer-support assistant."""

import os

# litellm fetches a remote model-cost map at import time; offline that costs seconds of
# retries. Frontline always uses the map bundled with the package.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"

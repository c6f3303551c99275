"""What people touch: the Chainlit chat and widget, the agent console, HTTP routes, the Queue API."""

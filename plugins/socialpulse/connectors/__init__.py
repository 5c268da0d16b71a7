"""Platform connectors: one module per platform, all on the shared HTTP client."""

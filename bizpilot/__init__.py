"""bizpilot: a self-hosted AI platform for B2B e-commerce operations."""

__version__ = "0.1.0"

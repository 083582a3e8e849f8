"""Command-line interface (`bizpilot ...`): thin commands over the services."""

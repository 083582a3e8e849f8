"""Text: attribute parsing and checking, copy generation."""

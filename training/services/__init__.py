"""Writes for training, one module per sub-domain: content, assignments, crediting, annual, retention, public; refusals in errors."""

"""Writes for proctoring, one module per sub-domain: consent, identity, events, snapshots, actions, retention; refusals in errors."""

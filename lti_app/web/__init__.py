"""Blueprints: routes only. They parse input, call a service, and render or redirect."""

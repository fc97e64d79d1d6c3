"""Rosters pages (coordinator side)."""

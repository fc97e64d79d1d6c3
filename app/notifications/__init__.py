"""Notifications: every message to a person goes to their inbox and through the channels they chose."""

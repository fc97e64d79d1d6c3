"""Audit: who saw children's health notes, who exported what, and the security log (PIPL). See services.py.

The blueprint lives in routes.py, so that the account and provider services can call services.py without loading
the pages (which import app.access, which imports the accounts package: a cycle at import).
"""

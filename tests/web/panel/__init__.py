"""The record panel over real HTTP: listing, sharing and detail levels, exclusion rules and
unlinking, its Gmail traffic, and the privacy canary (gpanel/web/panel.py)."""

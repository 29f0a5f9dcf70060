"""The web layer: pages, JSON endpoints and templates, with thin handlers calling services.

`routes` gathers every route from the modules that own them; `guard/` is what a request passes
first (security headers, CSRF, rate limits, session, viewer); `api/` is the JSON API for CRM
records.
"""

"""Signing in and connecting Gmail over real HTTP and in headless Chromium (gpanel/web/auth.py,
gpanel/web/mailbox/): the OAuth round trips and their refusals, safe redirects, disconnect
and what it keeps, access Google withdrew."""

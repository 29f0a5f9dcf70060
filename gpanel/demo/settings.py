"""Settings for `gpanel demo`: gpanel pointed at the local Google emulator.

Pure data: the demo runner (in the CLI) builds `Settings` from this mapping, so the demo goes
through exactly the same settings validation as production, only in demo mode.
"""

from __future__ import annotations

from gpanel.demo.cast import ORG_DOMAIN, REPS

DEMO_CLIENT_ID = "gpanel-demo.apps.emulator"
DEMO_CLIENT_SECRET = "gpanel-demo-secret"
# Gmail push in the demo goes the production way: the emulator's Pub/Sub push signs an OIDC
# token for this service account and audience, and gpanel's /push/gmail verifies it.
DEMO_PUBSUB_TOPIC = "projects/gpanel-demo/topics/gmail"
DEMO_PUSH_SERVICE_ACCOUNT = "gmail-push@gpanel-demo.iam.gserviceaccount.com"


def demo_push_environment(base_url: str) -> dict[str, str]:
    """The push settings `gpanel demo` adds (the tests' stacks leave push off unless asked)."""
    return {
        "GPANEL_PUBSUB_TOPIC": DEMO_PUBSUB_TOPIC,
        "GPANEL_PUBSUB_AUDIENCE": f"{base_url}/push/gmail",
        "GPANEL_PUBSUB_SERVICE_ACCOUNT": DEMO_PUSH_SERVICE_ACCOUNT,
    }


def demo_environment(*, host: str, port: int, emulator_port: int, data_dir: str) -> dict[str, str]:
    google = f"http://{host}:{emulator_port}"
    admin = next(r for r in REPS if r.role == "admin")
    return {
        "GPANEL_MODE": "demo",
        "GPANEL_HOST": host,
        "GPANEL_PORT": str(port),
        "GPANEL_BASE_URL": f"http://{host}:{port}",
        "GPANEL_DATA_DIR": data_dir,
        "GPANEL_SECRET_KEY": "gpanel-demo-secret-key-not-for-production",
        "GPANEL_FIRST_ADMIN_EMAIL": admin.email,
        "GPANEL_ORG_DOMAINS": ORG_DOMAIN,
        "GPANEL_GOOGLE_CLIENT_ID": DEMO_CLIENT_ID,
        "GPANEL_GOOGLE_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "GPANEL_GOOGLE_AUTH_URI": f"{google}/o/oauth2/v2/auth",
        "GPANEL_GOOGLE_TOKEN_URI": f"{google}/token",
        "GPANEL_GOOGLE_REVOKE_URI": f"{google}/revoke",
        "GPANEL_GOOGLE_USERINFO_URI": f"{google}/v1/userinfo",
        "GPANEL_GOOGLE_CERTS_URI": f"{google}/oauth2/v1/certs",
        "GPANEL_GOOGLE_ISSUER": google,
        "GPANEL_GMAIL_API_BASE": google,
    }

"""MailMagnet in the browser (gpanel/web/notifications.py) and Gmail push over Pub/Sub
(gpanel/web/push.py): the bell, the event stream, push authentication."""

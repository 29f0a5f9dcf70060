"""Raw RFC 822 mail as the emulated Gmail reports it.

`payload` turns raw bytes into Gmail's message resource (never raising on bad mail);
`summary` is what threading, search and list views read from a message.
"""

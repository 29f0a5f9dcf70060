"""One Gmail thread opened from a CRM record.

`gate` decides who may open it and reads it from Gmail (the `ThreadGrant`); `view` builds
what the page and the JSON API show, cut to the viewer's detail; `body_cache` keeps sanitised
bodies in memory, made off the event loop; `frame_binding` signs what the message frame loads
for one viewer and one message; `actions` applies live changes in the owner's Gmail;
`image_proxy` fetches remote images so the reader's browser never does; `opened_by` records
which colleagues opened an owner's threads (ids and times).
"""

"""The LTI 1.3 protocol: launch validation, keys, registrations, and the AGS client.

Nothing here imports a service or a route; only ``launch`` reads an id_token.
"""

"""callcast-contact: contacts, custom attributes and audiences of each organization.

It owns them in PostgreSQL (schema ``contact``) and publishes every change on the ``CONTACTS``
stream through a transactional outbox, so other services keep their own copies.
"""

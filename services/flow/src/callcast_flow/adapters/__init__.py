"""Adapters: PostgreSQL repositories, the JetStream object store, the audio transcoder."""

-- Transactional outbox: a change and its event commit together; a relay publishes them in order.
CREATE TABLE IF NOT EXISTS outbox (
    position   bigserial PRIMARY KEY,
    subject    text        NOT NULL,
    msg_id     text        NOT NULL,
    headers    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    payload    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

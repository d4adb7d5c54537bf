-- Answering machine detection, recordings and how the call was hung up, per attempt (dialer issue).
ALTER TABLE call_attempts
    ADD COLUMN amd          jsonb,
    ADD COLUMN recordings   jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN hangup_cause text;

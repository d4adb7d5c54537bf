-- Programs: the Callcast settings beyond the documented fields, live programs' trigger, and the
-- organization's calling limits (the lower of a program's and its organization's limit wins).

ALTER TABLE programs
    ADD COLUMN calls_per_second    double precision,               -- NULL: no per-program pacing
    ADD COLUMN timezone            text,                           -- IANA override; NULL: the org's
    ADD COLUMN recipient_timezones boolean NOT NULL DEFAULT false, -- windows in each recipient's zone
    ADD COLUMN trigger_condition   jsonb;                          -- live programs only

CREATE INDEX programs_org_status ON programs (org_id, status) WHERE deleted_at IS NULL;

-- A number appears once among an organization's DIDs (shared DIDs, org_id NULL, apart).
CREATE UNIQUE INDEX dids_org_number ON dids (org_id, number) WHERE deleted_at IS NULL AND org_id IS NOT NULL;
CREATE UNIQUE INDEX dids_shared_number ON dids (number) WHERE deleted_at IS NULL AND org_id IS NULL;

-- Set through PUT /api/calling-limits; an organization without a row has the service's defaults.
CREATE TABLE org_limits (
    org_id               uuid PRIMARY KEY,
    max_concurrent_calls integer          NOT NULL CHECK (max_concurrent_calls >= 1),
    max_calls_per_second double precision NOT NULL CHECK (max_calls_per_second > 0),
    updated_at           timestamptz      NOT NULL DEFAULT now()
);

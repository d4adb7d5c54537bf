-- A batch launch's audience snapshot, written right after the launch's first commit and read by
-- a resumed launch: a launch resumed after a crash enrols exactly the contacts it snapshotted, in
-- the same chunks, even if the audience changed meanwhile. Emptied when the last wave is stored.
CREATE TABLE launch_members (
    execution_id uuid    NOT NULL,
    n            integer NOT NULL,
    contact_id   uuid    NOT NULL,
    phone        text    NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (execution_id, n)
);

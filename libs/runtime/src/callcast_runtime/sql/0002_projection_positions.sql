-- The last stream sequence each projection applied, committed with the view it changed.
CREATE TABLE IF NOT EXISTS projection_positions (
    projection text   PRIMARY KEY,
    position   bigint NOT NULL
);

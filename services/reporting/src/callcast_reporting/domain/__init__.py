"""Pure reporting logic: how call and job events shape a call report. No I/O here."""

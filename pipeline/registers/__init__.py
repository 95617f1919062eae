"""The household-register stage: review registers -> pseudonymised households, rule audit, district aggregates."""

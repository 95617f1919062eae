"""Tools around the pipeline, never run as one of its stages: synthetic registers, bench, verify."""

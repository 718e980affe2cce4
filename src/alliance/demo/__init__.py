"""A benign synthetic world for demos and trying things out. Later capabilities extend it."""

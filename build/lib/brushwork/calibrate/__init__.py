"""Choosing a painting's style weight from short Gatys probes."""

"""Scoring trained nets against the Gatys optimizer: metrics, runs, reports."""

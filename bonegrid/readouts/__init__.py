"""Readouts: observers that sample model state and never change it."""

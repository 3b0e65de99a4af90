"""Cells as Mesa agents: one module per cell type."""

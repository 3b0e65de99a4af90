"""bonegrid: a spatial, agent-based simulator of bone remodeling and secondary osteoporosis."""

__version__ = "0.1.0"

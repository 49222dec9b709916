"""crftagger: a fast feature-based linear-chain CRF sequence labeller."""

__version__ = "0.1.0"

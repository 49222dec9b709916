"""Decoding: scheme-valid Viterbi, forced labels, n-best lists and span confidences (``constrained``)."""

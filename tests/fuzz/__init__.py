"""Fuzzing helpers: case generators (:mod:`fuzz.gen`), plain twins of the readers
(:mod:`fuzz.plain`), the worker process (:mod:`fuzz.worker`) and the parent that
runs it with a time and memory limit per case (:mod:`fuzz.runner`)."""

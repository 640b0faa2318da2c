"""Figures: one function per figure, each taking tables the pipeline wrote and returning a matplotlib Figure."""

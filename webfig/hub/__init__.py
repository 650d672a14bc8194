"""The hub (``python -m webfig serve``): a long-running server that scripts anywhere publish
their figures to, which keeps them after the scripts end. This package is its Tornado-free
part: what it keeps and how, and what it accepts from publishers."""

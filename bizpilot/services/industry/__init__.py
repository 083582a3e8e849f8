"""Industry classification of accounts: the workspace taxonomy (``taxonomy``), the ``industry`` model (``specs``,
``training``) and what people do with its predictions (``service``: read, accept or correct, review queue).
Callers import each name from its module; this package imports nothing."""

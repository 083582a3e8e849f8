"""The model registry and store: one declared spec per workspace model (``spec``, ``registry``), one place for
model files and their cache (``store``), what training computed for the pages (``outputs``), the one way a model
is trained and recorded (``training``), training as foreground or background jobs (``jobs``), how readers get a
model or its state (``access``) and model health (``health``, ``overview``).

This package module imports nothing, so feature modules can import its parts without import cycles."""

"""`diagnose demo` only: its sample data, the embedded broker fallback and its access plugin."""

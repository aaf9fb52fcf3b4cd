"""Sparkplug B 3.0 host-application side: payload codec, topic namespace and a pure host state machine."""

"""Plant data capture: MQTT client, payload parsing (JSON, Sparkplug B), batching writer, simulator."""

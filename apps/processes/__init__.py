"""The long-running processes: the web server, the jobs scheduler and a local Mosquitto."""

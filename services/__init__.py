"""The processes of the incident response service."""

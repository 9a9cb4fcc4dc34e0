"""The HTTP side of notifications: POSTing to subscribers, signing SNS envelopes, vetting endpoints."""

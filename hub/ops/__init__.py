"""Running Hub in production: scheduler lock and heartbeat, health check, logs, backups."""

"""Login throttling, security headers and the other defences of the web layer."""

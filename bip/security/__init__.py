"""Login security: two-factor authentication, brute-force lockout, session limits, headers."""

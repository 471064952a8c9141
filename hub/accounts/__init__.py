"""Users, organizations, memberships, roles, login and API tokens."""

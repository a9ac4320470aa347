"""Who may do what: users, roles, teams and partner membership, sign-in with a second factor,
server-side sessions, API tokens, the access policy, and the admin pages that manage them."""

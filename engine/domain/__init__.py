"""The rules, with no database, web or CLI: the SOP language, the state machine, policy, values, roles, budget."""

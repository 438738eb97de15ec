"""The program, its milestones, workstreams, exit criteria and readiness."""

"""The executive readiness summary, its snapshots and charts."""

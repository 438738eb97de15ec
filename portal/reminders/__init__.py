"""Email reminders: policy, outbox, mailer, jobs and calendar feeds."""

"""Every area's blueprint, in the order `create_app` registers them."""
from portal.actions.routes import bp as actions
from portal.audit.routes import bp as audit
from portal.auth.oidc_routes import bp as oidc
from portal.auth.routes import bp as auth
from portal.dashboard.routes import bp as dashboard
from portal.health import bp as health
from portal.notes.routes import bp as notes
from portal.people.routes import bp as people
from portal.pocs.routes import bp as pocs
from portal.program.routes import bp as program
from portal.reminders.routes import bp as reminders
from portal.summary.routes import bp as summary
from portal.workstreams.routes import bp as workstreams

BLUEPRINTS = (auth, oidc, dashboard, workstreams, program, summary, notes, health, reminders, pocs,
              actions, people, audit)

/* The secondary role: serves the zones it replicates from a primary
 * (replica.h), answers queries like the primary, AXFR/IXFR onward to
 * its own secondaries (IXFR from the differences it received), and
 * REFUSES UPDATE: forwarding to the primary is not done (RFC 2136 §6
 * allows either), so clients send UPDATEs to the primary. */
#include "replica.h"
#include "role.h"

static int secondary_start(dnsd_server *s, void **state)
{
	replica *r = NULL;
	int rc = replica_start(s, &r);

	*state = r;
	return rc;
}

static size_t secondary_notify(dnsd_server *s, void *state, dnsd_request *r,
                               uint8_t *out, size_t cap)
{
	(void)s;
	return replica_notify(state, r, out, cap);
}

static int secondary_reload(dnsd_server *s, void *state)
{
	(void)s;
	return replica_reload(state);
}

static void secondary_stop(dnsd_server *s, void *state)
{
	(void)s;
	replica_stop(state);
}

const dnsd_role dnsd_role_secondary = {
    .name = "secondary",
    .on_start = secondary_start,
    .on_check = replica_check,
    .on_notify = secondary_notify,
    .on_update = NULL, /* REFUSED */
    .on_ixfr = NULL,   /* beyond the history: the AXFR form */
    .on_reload = secondary_reload,
    .on_stop = secondary_stop,
};

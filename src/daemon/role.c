/* The role table (role.h): one row per role of the config's `role`.
 * A role whose module has not landed yet has no row; main refuses it
 * with a clear message rather than starting a server that does nothing. */
#include "role.h"

static const dnsd_role *const role_table[] = {
    [DNSD_ROLE_PRIMARY] = &dnsd_role_primary,
    [DNSD_ROLE_SECONDARY] = &dnsd_role_secondary,
    [DNSD_ROLE_LETSENCRYPT] = &dnsd_role_letsencrypt,
};

const dnsd_role *dnsd_role_get(enum dnsd_role_id id)
{
	if ((unsigned)id >= sizeof(role_table) / sizeof(role_table[0]))
		return NULL;
	return role_table[id];
}

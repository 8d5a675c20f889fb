/* Rate limiting tables of the query workers (ratelimit.h). */
#include "ratelimit.h"
#include "log.h"
#include <dnsd/err.h>
#include <sys/random.h>
#include <time.h>

dnsd_rrl *ratelimit_new(const dnsd_config *cfg, unsigned index)
{
	if (cfg->rrl_rate == 0)
		return NULL;
	dnsd_rrl_opts o = {.rate = cfg->rrl_rate,
	                   .slip = cfg->rrl_slip,
	                   .ipv4_prefix = cfg->rrl_ipv4_prefix,
	                   .ipv6_prefix = cfg->rrl_ipv6_prefix,
	                   .table_size = cfg->rrl_table_size};
	/* A seed nobody can guess, so no client aims hash collisions; a
	 * fixed one would still limit, only less evenly. */
	if (getrandom(&o.seed, sizeof(o.seed), 0) != sizeof(o.seed))
		o.seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ index;
	dnsd_rrl *t = NULL;
	int err = dnsd_rrl_new(&o, &t);
	if (err < 0)
		fatalx("rrl: worker %u: %s", index, dnsd_strerror(err));
	if (index == 0)
		log_info("rrl: %u responses a second per /%u and /%u, slip %u, "
		         "%u buckets per worker",
		         o.rate, o.ipv4_prefix, o.ipv6_prefix, o.slip,
		         cfg->rrl_table_size);
	return t;
}

uint64_t ratelimit_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

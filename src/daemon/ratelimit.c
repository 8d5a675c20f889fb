/* Rate limiting of the query workers (ratelimit.h). */
#include "ratelimit.h"
#include "log.h"
#include <dnsd/err.h>
#include <dnsd/name.h>
#include <dnsd/rrl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

struct ratelimit {
	dnsd_rrl *t;
	unsigned index;
	uint64_t now;        /* ms, of the batch being answered */
	uint64_t report_at;  /* ms: the next log line, at the earliest */
	dnsd_rrl_stats seen; /* counts at the last log line */
	bool sampled;        /* first[] and peer[] hold this period's first */
	char first[DNSD_NAME_TEXT_MAX + 16], peer[64];
};

static uint64_t ratelimit_clock(void)
{
	struct timespec ts;
	/* coarse: a few ms of resolution is plenty for buckets of a
	 * second, and it costs no system call */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ratelimit *ratelimit_new(const dnsd_config *cfg, unsigned index)
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
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		fatalx("rrl: worker %u: out of memory", index);
	int err = dnsd_rrl_new(&o, &rl->t);
	if (err < 0)
		fatalx("rrl: worker %u: %s", index, dnsd_strerror(err));
	rl->index = index;
	rl->report_at = ratelimit_clock() + RATELIMIT_REPORT * 1000;
	if (index == 0)
		log_info("rrl: %u responses a second per /%u and /%u, slip %u, "
		         "%u buckets per worker",
		         o.rate, o.ipv4_prefix, o.ipv6_prefix, o.slip,
		         cfg->rrl_table_size);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	dnsd_rrl_free(rl->t);
	free(rl);
}

void ratelimit_batch(struct ratelimit *rl)
{
	rl->now = ratelimit_clock();
	if (rl->now < rl->report_at || !rl->sampled)
		return;
	dnsd_rrl_stats st;
	dnsd_rrl_stats_get(rl->t, &st);
	log_info("rrl: worker %u: %llu responses dropped, %llu truncated in "
	         "%u s; the first: %s to %s",
	         rl->index, (unsigned long long)(st.dropped - rl->seen.dropped),
	         (unsigned long long)(st.slipped - rl->seen.slipped),
	         RATELIMIT_REPORT, rl->first, rl->peer);
	rl->seen = st;
	rl->sampled = false;
	rl->report_at = rl->now + RATELIMIT_REPORT * 1000;
}

/* The first limited response of a period, for its log line. */
static void ratelimit_sample(struct ratelimit *rl, const struct sockaddr *peer,
                             const uint8_t *resp, size_t len)
{
	dnsd_rrl_key k;
	uint8_t name[DNSD_NAME_MAX];
	size_t qend;
	static const char *const cls[] = {
	    [DNSD_RRL_ANSWER] = "answer",     [DNSD_RRL_NODATA] = "nodata",
	    [DNSD_RRL_NXDOMAIN] = "nxdomain", [DNSD_RRL_REFERRAL] = "referral",
	    [DNSD_RRL_ERROR] = "error",
	};
	char text[DNSD_NAME_TEXT_MAX] = "";
	if (!dnsd_rrl_classify(resp, len, &k, name, &qend))
		return;
	if (k.name != NULL)
		log_name(k.name, text, sizeof(text));
	snprintf(rl->first, sizeof(rl->first), "%s %s", cls[k.cls],
	         k.name != NULL ? text : "(by rcode)");
	log_peer(peer, rl->peer, sizeof(rl->peer));
	rl->sampled = true;
}

size_t ratelimit_response(struct ratelimit *rl, const struct sockaddr *peer,
                          uint8_t *resp, size_t len)
{
	size_t out = dnsd_rrl_response(rl->t, peer, resp, len, rl->now);
	/* a dropped response is as it was; a truncated one keeps its
	 * question, enough to name it */
	if (out != len && !rl->sampled)
		ratelimit_sample(rl, peer, resp, out != 0 ? out : len);
	return out;
}

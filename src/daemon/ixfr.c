/* The IXFR history (ixfr.h). Per zone a short list of steps, newest
 * first; a chain is found by following to-serials from the client's
 * serial. */
#include "ixfr.h"

#include <dnsd/err.h>
#include <dnsd/name.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct dnsd_ixfr_step {
	atomic_uint refs;
	dnsd_zdiff *diff;
	uint32_t from, to;
	struct dnsd_ixfr_step *next; /* in its zone's list, newest first */
};

struct ixfr_zone {
	struct ixfr_zone *next;
	uint8_t origin[DNSD_NAME_MAX];
	struct dnsd_ixfr_step *steps;
	unsigned nsteps;
};

struct dnsd_ixfr {
	pthread_mutex_t lock;
	struct ixfr_zone *zones;
	unsigned max_steps;
};

dnsd_ixfr *dnsd_ixfr_new(unsigned max_steps)
{
	dnsd_ixfr *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->max_steps = max_steps;
	return h;
}

void dnsd_ixfr_step_unref(dnsd_ixfr_step *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
		dnsd_zdiff_free(s->diff);
		free(s);
	}
}

static void ixfr_zone_free(struct ixfr_zone *z)
{
	while (z->steps) {
		dnsd_ixfr_step *s = z->steps;
		z->steps = s->next;
		dnsd_ixfr_step_unref(s);
	}
	free(z);
}

void dnsd_ixfr_free(dnsd_ixfr *h)
{
	if (h == NULL)
		return;
	while (h->zones) {
		struct ixfr_zone *z = h->zones;
		h->zones = z->next;
		ixfr_zone_free(z);
	}
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static struct ixfr_zone *ixfr_zone_find(dnsd_ixfr *h, const uint8_t *origin)
{
	for (struct ixfr_zone *z = h->zones; z; z = z->next)
		if (dnsd_name_equal(z->origin, origin))
			return z;
	return NULL;
}

void dnsd_ixfr_put(dnsd_ixfr *h, const uint8_t *origin, dnsd_zdiff *d)
{
	dnsd_ixfr_step *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		dnsd_zdiff_free(d);
		return;
	}
	atomic_init(&s->refs, 1);
	s->diff = d;
	s->from = dnsd_zdiff_from_serial(d);
	s->to = dnsd_zdiff_to_serial(d);
	pthread_mutex_lock(&h->lock);
	struct ixfr_zone *z = ixfr_zone_find(h, origin);
	if (z == NULL && (z = calloc(1, sizeof(*z))) != NULL) {
		memcpy(z->origin, origin, dnsd_name_len(origin));
		z->next = h->zones;
		h->zones = z;
	}
	if (z == NULL) {
		pthread_mutex_unlock(&h->lock);
		dnsd_ixfr_step_unref(s);
		return;
	}
	/* a step from the same serial again (the zone changed, then went
	 * back and changed otherwise) replaces the old one */
	for (dnsd_ixfr_step **pp = &z->steps; *pp; pp = &(*pp)->next) {
		if ((*pp)->from == s->from) {
			dnsd_ixfr_step *old = *pp;
			*pp = old->next;
			dnsd_ixfr_step_unref(old);
			z->nsteps--;
			break;
		}
	}
	s->next = z->steps;
	z->steps = s;
	z->nsteps++;
	/* the oldest go past max_steps */
	if (z->nsteps > h->max_steps) {
		dnsd_ixfr_step **pp = &z->steps;
		for (unsigned i = 0; *pp && i < h->max_steps; i++)
			pp = &(*pp)->next;
		while (*pp) {
			dnsd_ixfr_step *old = *pp;
			*pp = old->next;
			dnsd_ixfr_step_unref(old);
			z->nsteps--;
		}
	}
	pthread_mutex_unlock(&h->lock);
}

int dnsd_ixfr_chain(dnsd_ixfr *h, const uint8_t *origin, uint32_t from,
                    uint32_t to, dnsd_ixfr_step **steps, size_t max, size_t *n)
{
	int rc = DNSD_ENOTFOUND;

	*n = 0;
	pthread_mutex_lock(&h->lock);
	struct ixfr_zone *z = ixfr_zone_find(h, origin);
	uint32_t at = from;
	while (z != NULL && at != to && *n < max) {
		dnsd_ixfr_step *s = z->steps;
		while (s && s->from != at)
			s = s->next;
		if (s == NULL)
			break;
		atomic_fetch_add(&s->refs, 1);
		steps[(*n)++] = s;
		at = s->to;
	}
	if (at == to && *n > 0)
		rc = 0;
	pthread_mutex_unlock(&h->lock);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			dnsd_ixfr_step_unref(steps[i]);
		*n = 0;
	}
	return rc;
}

const dnsd_zdiff *dnsd_ixfr_step_diff(const dnsd_ixfr_step *s)
{
	return s->diff;
}

void dnsd_ixfr_forget(dnsd_ixfr *h, const uint8_t *origin)
{
	pthread_mutex_lock(&h->lock);
	for (struct ixfr_zone **pp = &h->zones; *pp; pp = &(*pp)->next) {
		if (dnsd_name_equal((*pp)->origin, origin)) {
			struct ixfr_zone *z = *pp;
			*pp = z->next;
			ixfr_zone_free(z);
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
}

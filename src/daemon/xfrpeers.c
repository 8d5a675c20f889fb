/* Outgoing transfers per peer address (xfrpeers.h). */
#include "xfrpeers.h"
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

struct xfrpeer {
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	unsigned running; /* 0: a free row */
};

static struct xfrpeer xfrpeers[XFRPEERS_MAX];
static pthread_mutex_t xfrpeers_lock = PTHREAD_MUTEX_INITIALIZER;

static void xfrpeers_addr(const struct sockaddr *sa, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa->sa_family == AF_INET) {
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		       4);
	}
}

/* The row of addr, or (with room) a free one; NULL. Locked. */
static struct xfrpeer *xfrpeers_find(const uint8_t addr[16], bool room)
{
	struct xfrpeer *free_row = NULL;
	for (size_t i = 0; i < XFRPEERS_MAX; i++) {
		struct xfrpeer *p = &xfrpeers[i];
		if (p->running == 0) {
			if (free_row == NULL)
				free_row = p;
		} else if (memcmp(p->addr, addr, 16) == 0) {
			return p;
		}
	}
	if (room && free_row != NULL)
		memcpy(free_row->addr, addr, 16);
	return room ? free_row : NULL;
}

unsigned xfrpeers_running(const struct sockaddr *sa)
{
	uint8_t addr[16];
	xfrpeers_addr(sa, addr);
	pthread_mutex_lock(&xfrpeers_lock);
	const struct xfrpeer *p = xfrpeers_find(addr, false);
	unsigned n = p != NULL ? p->running : 0;
	pthread_mutex_unlock(&xfrpeers_lock);
	return n;
}

bool xfrpeers_start(const struct sockaddr *sa)
{
	uint8_t addr[16];
	xfrpeers_addr(sa, addr);
	pthread_mutex_lock(&xfrpeers_lock);
	struct xfrpeer *p = xfrpeers_find(addr, true);
	if (p != NULL)
		p->running++;
	pthread_mutex_unlock(&xfrpeers_lock);
	return p != NULL;
}

void xfrpeers_end(const struct sockaddr *sa)
{
	uint8_t addr[16];
	xfrpeers_addr(sa, addr);
	pthread_mutex_lock(&xfrpeers_lock);
	struct xfrpeer *p = xfrpeers_find(addr, false);
	if (p != NULL)
		p->running--;
	pthread_mutex_unlock(&xfrpeers_lock);
}

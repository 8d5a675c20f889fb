/* sd_notify over its socket (sdnotify.h). The datagram is sent with
 * MSG_NOSIGNAL|MSG_DONTWAIT: a notification must never stop the main
 * loop, and systemd reads its socket promptly. */
#include "sdnotify.h"
#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SDNOTIFY_STATUS_MAX 256

static struct {
	int fd; /* -1: no socket, nothing is sent */
	struct sockaddr_un addr;
	socklen_t addrlen;
	uint64_t watchdog_usec;
	bool failing; /* the last send failed (logged already) */
	char status[SDNOTIFY_STATUS_MAX];
} sdn = {.fd = -1};

/* $NOTIFY_SOCKET into sdn.addr: a path, or '@' for the abstract
 * namespace (the '@' becomes the leading NUL). */
static int sdnotify_addr(const char *name)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 ||
	    len >= sizeof(sdn.addr.sun_path))
		return -1;
	memset(&sdn.addr, 0, sizeof(sdn.addr));
	sdn.addr.sun_family = AF_UNIX;
	memcpy(sdn.addr.sun_path, name, len);
	if (name[0] == '@') {
		sdn.addr.sun_path[0] = 0;
		sdn.addrlen = offsetof(struct sockaddr_un, sun_path) + len;
	} else {
		sdn.addrlen = offsetof(struct sockaddr_un, sun_path) + len + 1;
	}
	return 0;
}

/* WATCHDOG_USEC, when meant for this process. */
static uint64_t sdnotify_watchdog_env(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *wpid = getenv("WATCHDOG_PID");
	char *end;

	if (usec == NULL)
		return 0;
	if (wpid != NULL) {
		unsigned long long p = strtoull(wpid, &end, 10);
		if (*end != 0 || p != (unsigned long long)getpid())
			return 0;
	}
	unsigned long long v = strtoull(usec, &end, 10);
	if (*usec == 0 || *end != 0 || v == 0) {
		log_warnx("systemd: WATCHDOG_USEC=%s is not a number of "
		          "microseconds, no watchdog",
		          usec);
		return 0;
	}
	return v;
}

int sdnotify_init(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	int r = 0;

	if (name != NULL) {
		if (sdnotify_addr(name) < 0) {
			log_error("systemd: NOTIFY_SOCKET=%s is not a socket "
			          "path or @name, not notifying",
			          name);
			r = -1;
		} else if ((sdn.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
		                            0)) < 0) {
			log_warn("systemd: notification socket");
			r = -1;
		} else {
			sdn.watchdog_usec = sdnotify_watchdog_env();
		}
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return r;
}

bool sdnotify_enabled(void)
{
	return sdn.fd >= 0;
}

uint64_t sdnotify_watchdog_usec(void)
{
	return sdn.watchdog_usec;
}

int sdnotify_send(const char *text)
{
	if (sdn.fd < 0)
		return 0;
	ssize_t n =
	    sendto(sdn.fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT,
	           (struct sockaddr *)&sdn.addr, sdn.addrlen);
	if (n < 0) {
		if (!sdn.failing)
			log_warn("systemd: notification not sent");
		sdn.failing = true;
		return -1;
	}
	sdn.failing = false;
	log_debug("systemd: sent %.*s", (int)strcspn(text, "\n"), text);
	return 0;
}

void sdnotify_ready(void)
{
	char msg[SDNOTIFY_STATUS_MAX + 32];

	if (sdn.status[0] != 0)
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", sdn.status);
	else
		snprintf(msg, sizeof(msg), "READY=1");
	sdnotify_send(msg);
}

void sdnotify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	if (sdn.fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ULL +
	             (unsigned long long)ts.tv_nsec / 1000);
	sdnotify_send(msg);
}

void sdnotify_stopping(void)
{
	sdnotify_send("STOPPING=1");
}

void sdnotify_watchdog(void)
{
	sdnotify_send("WATCHDOG=1");
}

void sdnotify_status(const char *line)
{
	char msg[SDNOTIFY_STATUS_MAX + 16];

	if (sdn.fd < 0 || strcmp(line, sdn.status) == 0)
		return;
	snprintf(sdn.status, sizeof(sdn.status), "%s", line);
	snprintf(msg, sizeof(msg), "STATUS=%s", sdn.status);
	sdnotify_send(msg);
}

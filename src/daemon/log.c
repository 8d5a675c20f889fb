/* Logging to stderr, one line per event, "LEVEL: message". systemd's
 * journal adds the time and the process, so neither is printed here.
 * Worker threads log too: each line is formatted into a local buffer and
 * written with one write(2), so lines from different threads never
 * interleave, and the level is an atomic. */
#include "log.h"

#include <dnsd/name.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Atomic int log_level = LOG_LVL_INFO;

/* Indexed by LOG_LVL_*: the names of log-level and of the line prefix. */
static const char *const log_level_names[] = {
    [LOG_LVL_ERROR] = "error",
    [LOG_LVL_WARNING] = "warning",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_DEBUG] = "debug",
};

void log_set_level(int level)
{
	if (level >= LOG_LVL_ERROR && level <= LOG_LVL_DEBUG)
		atomic_store(&log_level, level);
}

int log_get_level(void)
{
	return atomic_load(&log_level);
}

const char *log_level_name(int level)
{
	if (level < LOG_LVL_ERROR || level > LOG_LVL_DEBUG)
		return "unknown";
	return log_level_names[level];
}

int log_level_from_text(const char *s)
{
	for (int i = LOG_LVL_ERROR; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(s, log_level_names[i]) == 0)
			return i;
	return -1;
}

/* Formats "LEVEL: message[: strerror]\n" and writes it at once. Control
 * characters are replaced: a message must stay one line even when a
 * caller passed an unescaped string. */
static void log_vline(int level, const char *errstr, const char *fmt,
                      va_list ap) __attribute__((format(printf, 3, 0)));

static void log_vline(int level, const char *errstr, const char *fmt,
                      va_list ap)
{
	char buf[2048];
	size_t cap = sizeof(buf) - 1; /* room for the newline */
	int n = snprintf(buf, cap, "%s: ", log_level_names[level]);
	size_t len = (size_t)n;

	n = vsnprintf(buf + len, cap - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
	if (errstr != NULL && len < cap - 1) {
		n = snprintf(buf + len, cap - len, ": %s", errstr);
		if (n > 0)
			len +=
			    (size_t)n < cap - len ? (size_t)n : cap - len - 1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	buf[len++] = '\n';
	/* Nothing sensible to do when stderr is gone. */
	ssize_t w = write(STDERR_FILENO, buf, len);
	(void)w;
}

#define LOG_AT(level, errstr)                                                  \
	do {                                                                   \
		va_list ap;                                                    \
		if ((level) > atomic_load(&log_level))                         \
			return;                                                \
		va_start(ap, fmt);                                             \
		log_vline((level), (errstr), fmt, ap);                         \
		va_end(ap);                                                    \
	} while (0)

void log_error(const char *fmt, ...)
{
	LOG_AT(LOG_LVL_ERROR, NULL);
}

void log_warn(const char *fmt, ...)
{
	/* strerror before anything else can change errno. */
	char e[128];
	int saved = errno;

	snprintf(e, sizeof(e), "%s", strerror(saved));
	LOG_AT(LOG_LVL_WARNING, e);
}

void log_warnx(const char *fmt, ...)
{
	LOG_AT(LOG_LVL_WARNING, NULL);
}

void log_info(const char *fmt, ...)
{
	LOG_AT(LOG_LVL_INFO, NULL);
}

void log_debug(const char *fmt, ...)
{
	LOG_AT(LOG_LVL_DEBUG, NULL);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *log_name(const uint8_t *name, char *buf, size_t cap)
{
	/* dnsd_name_to_text escapes every octet outside 0x21..0x7e. */
	if (name == NULL || dnsd_name_to_text(name, buf, cap) < 0)
		snprintf(buf, cap, "(bad name)");
	return buf;
}

const char *log_zone(const uint8_t *origin, char *buf, size_t cap)
{
	size_t n = strlen(log_name(origin, buf, cap));

	/* dnsd_name_to_text ends every name but the root with the label
	 * separator; a dot inside a label is always escaped. */
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	return buf;
}

const char *log_peer(const struct sockaddr *sa, char *buf, size_t cap)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned port = 0;
	const void *src = NULL;

	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		src = &in->sin_addr;
		port = ntohs(in->sin_port);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		src = &in6->sin6_addr;
		port = ntohs(in6->sin6_port);
	}
	if (src == NULL ||
	    inet_ntop(sa->sa_family, src, addr, sizeof(addr)) == NULL)
		snprintf(buf, cap, "(unknown peer)");
	else
		snprintf(buf, cap, "%s#%u", addr, port);
	return buf;
}

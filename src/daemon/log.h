/* The daemon's logging: one line per event on stderr (systemd's journal
 * picks it up), a fixed small API as in the OpenBSD daemons. Messages name
 * the zone and the peer; names from the network go through log_name() so
 * control characters never reach the log; secrets are never passed here. */
#ifndef DNSD_DAEMON_LOG_H
#define DNSD_DAEMON_LOG_H

#include <stdint.h>
#include <sys/socket.h>

enum { LOG_LVL_ERROR = 0, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(int level);
int log_get_level(void);
/* "error", "warning", "info", "debug" -> level; -1 when unknown. */
int log_level_from_text(const char *s);
/* The reverse: "error" ... "debug". */
const char *log_level_name(int level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn adds ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up failures only: logs and exits 1. */
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Escaped text of a wire-form name into buf (DNSD_NAME_TEXT_MAX octets
 * suffice); returns buf. */
const char *log_name(const uint8_t *name, char *buf, size_t cap);
/* A zone's name as logs show it: escaped like log_name, without the
 * final dot ("example.org", "." for the root); returns buf. */
const char *log_zone(const uint8_t *origin, char *buf, size_t cap);
/* "127.0.0.1#5353" / "::1#5353" into buf (64 octets); returns buf. */
const char *log_peer(const struct sockaddr *sa, char *buf, size_t cap);

#endif

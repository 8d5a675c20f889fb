/* systemd's notification protocol (sd_notify(3)), written by hand over
 * its documented socket: one AF_UNIX datagram of "KEY=VALUE\n" lines to
 * the socket named by $NOTIFY_SOCKET (a path, or an abstract name written
 * with a leading '@'). No libsystemd: the protocol is one sendto(2), and
 * that is one dependency less.
 *
 * Process-wide, like the log: sdnotify_init() reads the environment once
 * at start-up (main thread) and removes NOTIFY_SOCKET, WATCHDOG_USEC and
 * WATCHDOG_PID from it, so no child sends in dnsd's name. Without
 * $NOTIFY_SOCKET every call returns at once and nothing is sent.
 * Main thread only. */
#ifndef DNSD_DAEMON_SDNOTIFY_H
#define DNSD_DAEMON_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Reads $NOTIFY_SOCKET and $WATCHDOG_USEC (honoured only when
 * $WATCHDOG_PID is unset or names this process). 0, or -1 with the
 * reason logged when NOTIFY_SOCKET is set but unusable (nothing is sent
 * then; dnsd runs on). */
int sdnotify_init(void);
/* True when a notification socket is in use. */
bool sdnotify_enabled(void);
/* The watchdog interval systemd asked for (WATCHDOG_USEC), 0 for none. */
uint64_t sdnotify_watchdog_usec(void);

/* Sends one message: text of "KEY=VALUE" lines. 0 or -1 (logged once
 * per failure streak). */
int sdnotify_send(const char *text);
/* READY=1, with the current status line when there is one. */
void sdnotify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC=now (systemd 253 matches it with the
 * reload it asked for). */
void sdnotify_reloading(void);
/* STOPPING=1. */
void sdnotify_stopping(void);
/* WATCHDOG=1. */
void sdnotify_watchdog(void);
/* STATUS=line, sent only when it differs from the last one sent. */
void sdnotify_status(const char *line);

#endif

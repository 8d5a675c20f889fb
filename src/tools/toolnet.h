/* toolnet: what the tools that talk to a server share (dnsd-notify,
 * dnsd-update): their messages, the SERVER argument, deadlines, telling
 * an answer from a stray datagram, the key of a key file, and judging
 * the answer to a request that may be signed.
 *
 * Linked into every tool (src/tools/CMakeLists.txt); a tool that does
 * not talk to a server simply calls none of it. */
#ifndef DNSD_TOOLNET_H
#define DNSD_TOOLNET_H

#include <dnsd/keystore.h>
#include <dnsd/tsig.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* ---- messages ------------------------------------------------------ */

/* The name the messages start with ("dnsd-notify"); set first thing in
 * main (a static string: only the pointer is kept), as setprogname(3). */
void tool_setprogname(const char *name);

/* "NAME: MESSAGE\n" to stderr. */
void tool_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_vwarnx(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

/* ---- the command line ---------------------------------------------- */

/* A whole decimal number lo..hi into *out; -1 for anything else. */
int tool_parse_range(const char *s, long lo, long hi, long *out);

/* The server a tool talks to, as its SERVER argument names it. */
struct tool_server {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[300]; /* as given, for messages */
};

/* SERVER[:PORT], [V6]:PORT, V6, or a host name (resolved here, the
 * first address); port 53 unless given. -1 when it is none of those, or
 * does not resolve (nothing said: the caller's usage error says it). */
int tool_server_parse(struct tool_server *s, const char *arg);

/* -k: into *key the key of ks whose name allows op (DNSD_KEY_OP_*) on
 * zone, else ks's first; -1 when ks has none that reads. */
int tool_key_pick(dnsd_keystore *ks, int op, const uint8_t *zone,
                  dnsd_key *key);

/* ---- the exchange -------------------------------------------------- */

/* A deadline ms milliseconds from now (CLOCK_MONOTONIC). */
void tool_deadline_in(struct timespec *d, int ms);

/* Milliseconds left until deadline; 0 once it has passed. */
int tool_ms_left(const struct timespec *deadline);

/* True when resp answers req: same ID, QR, opcode, question (an answer
 * without a question, FORMERR from some servers, counts). */
bool tool_answers(const uint8_t *req, size_t qlen, const uint8_t *resp,
                  size_t rlen);

/* ---- the answer ---------------------------------------------------- */

enum tool_verdict {
	TOOL_NOERROR,   /* NOERROR, and verified when signed */
	TOOL_REFUSED,   /* another RCODE, or a TSIG error the server gave */
	TOOL_UNTRUSTED, /* unsigned, failing verification, malformed */
};

/* Judges the answer resp to a request, signed with c when is_signed:
 * prints the RCODE (and TSIG error) on stdout, or says on stderr why
 * the answer cannot be trusted. A signed request needs a signed answer
 * that verifies, except the server's own unsigned refusal of the key
 * (BADKEY, BADSIG). */
enum tool_verdict tool_judge(const struct tool_server *s, bool is_signed,
                             dnsd_tsig_ctx *c, const uint8_t *resp, size_t len);

#endif

/* toolnet: what the tools that talk to a server share (dnsd-notify,
 * dnsd-update, dnsd-certify): their messages, the SERVER argument,
 * deadlines, telling an answer from a stray datagram, an exchange over
 * TCP, the key of a key file, the zone an answer's SOA names, and
 * judging the answer to a request that may be signed.
 *
 * Linked into every tool (src/tools/CMakeLists.txt); a tool that does
 * not talk to a server simply calls none of it. */
#ifndef DNSD_TOOLNET_H
#define DNSD_TOOLNET_H

#include <dnsd/keystore.h>
#include <dnsd/msg.h>
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

/* A TCP connection to s made before the deadline, or -1 with why
 * ("TCP: Connection refused", "TCP: timed out"). */
int tool_tcp_connect(const struct tool_server *s,
                     const struct timespec *deadline, char *why, size_t cap);

/* Writes (wr) or reads len octets of fd before the deadline; false with
 * why ("timed out", "the server closed the connection", strerror) when
 * it could not. */
bool tool_io_full(int fd, uint8_t *buf, size_t len, bool wr,
                  const struct timespec *deadline, char *why, size_t cap);

/* Sends req (qlen octets, without the TCP length) over a new TCP
 * connection to s and reads messages until one answers it
 * (tool_answers), all before the deadline: that answer into resp, its
 * length; 0 with why when none came. */
int tool_tcp_exchange(const struct tool_server *s, const uint8_t *req,
                      size_t qlen, uint8_t *resp, size_t rcap,
                      const struct timespec *deadline, char *why, size_t cap);

/* ---- the zone ------------------------------------------------------ */

/* The SOA in section sec of m that is name's zone: owned by name or one
 * of its parents; NULL for none. */
const dnsd_rr *tool_zone_soa(const dnsd_msg *m, int sec, const uint8_t *name);

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

/* As tool_judge, with the RCODE (and TSIG error) into text instead of
 * on stdout ("NOERROR", "NOTAUTH (BADKEY)"); what cannot be trusted is
 * still said on stderr. */
enum tool_verdict tool_verdict_of(const struct tool_server *s, bool is_signed,
                                  dnsd_tsig_ctx *c, const uint8_t *resp,
                                  size_t len, char *text, size_t cap);

#endif

/* toolnet: the shared part of the tools that talk to a server. */
#include "toolnet.h"

#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *progname = "dnsd";

void tool_setprogname(const char *name)
{
	progname = name;
}

void tool_vwarnx(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tool_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tool_vwarnx(fmt, ap);
	va_end(ap);
}

int tool_parse_range(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int tool_server_parse(struct tool_server *s, const char *arg)
{
	char host[256];
	const char *port = "53";
	const char *c;

	snprintf(s->name, sizeof s->name, "%s", arg);
	if (arg[0] == '[') {
		const char *e = strchr(arg, ']');
		if (!e || (e[1] != 0 && e[1] != ':') ||
		    (size_t)(e - arg - 1) >= sizeof host)
			return -1;
		memcpy(host, arg + 1, (size_t)(e - arg - 1));
		host[e - arg - 1] = 0;
		if (e[1] == ':')
			port = e + 2;
	} else if ((c = strchr(arg, ':')) && !strchr(c + 1, ':')) {
		if ((size_t)(c - arg) >= sizeof host)
			return -1;
		memcpy(host, arg, (size_t)(c - arg));
		host[c - arg] = 0;
		port = c + 1;
	} else {
		if (strlen(arg) >= sizeof host)
			return -1;
		strcpy(host, arg); /* a host name, IPv4, or a bare IPv6 */
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == 0 || *end != 0 || p < 1 || p > 65535)
		return -1;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int tool_key_pick(dnsd_keystore *ks, int op, const uint8_t *zone, dnsd_key *key)
{
	uint8_t name[DNSD_NAME_MAX];
	size_t count = dnsd_keystore_count(ks), pick = 0;
	for (size_t i = 0; i < count; i++)
		if (dnsd_keystore_name_at(ks, i, name) == 0 &&
		    dnsd_key_allows(name, op, zone)) {
			pick = i;
			break;
		}
	if (dnsd_keystore_name_at(ks, pick, name) < 0 ||
	    dnsd_keystore_get(ks, name, key) < 0)
		return -1;
	return 0;
}

void tool_deadline_in(struct timespec *d, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += ms / 1000;
	d->tv_nsec += (long)(ms % 1000) * 1000000;
	if (d->tv_nsec >= 1000000000) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000;
	}
}

int tool_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	          (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

bool tool_answers(const uint8_t *req, size_t qlen, const uint8_t *resp,
                  size_t rlen)
{
	dnsd_query a, b;
	if (dnsd_query_parse(req, qlen, &a) < 0 ||
	    dnsd_hdr_parse(resp, rlen, &b.hdr) < 0)
		return false;
	if (b.hdr.id != a.hdr.id || !(b.hdr.flags & DNSD_FLAG_QR) ||
	    DNSD_OPCODE(b.hdr.flags) != DNSD_OPCODE(a.hdr.flags))
		return false;
	if (dnsd_query_parse(resp, rlen, &b) < 0 || b.hdr.qdcount == 0)
		return true;
	return b.qtype == a.qtype && dnsd_name_equal(b.qname, a.qname);
}

int tool_tcp_connect(const struct tool_server *s,
                     const struct timespec *deadline, char *why, size_t cap)
{
	int fd = socket(s->addr.ss_family,
	                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = errno;
	if (fd >= 0 &&
	    connect(fd, (const struct sockaddr *)&s->addr, s->addrlen) < 0) {
		err = errno;
		if (err == EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			socklen_t el = sizeof err;
			int left = tool_ms_left(deadline);
			if (left == 0 || poll(&p, 1, left) <= 0)
				err = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			                    &el) < 0)
				err = errno;
		}
		if (err) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		snprintf(why, cap, "TCP: %s",
		         err == ETIMEDOUT ? "timed out" : strerror(err));
	return fd;
}

bool tool_io_full(int fd, uint8_t *buf, size_t len, bool wr,
                  const struct timespec *deadline, char *why, size_t cap)
{
	for (size_t done = 0; done < len;) {
		struct pollfd p = {.fd = fd, .events = wr ? POLLOUT : POLLIN};
		int left = tool_ms_left(deadline);
		if (left == 0 || poll(&p, 1, left) == 0) {
			snprintf(why, cap, "timed out");
			return false;
		}
		ssize_t r = wr ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
		               : recv(fd, buf + done, len - done, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			snprintf(why, cap, "%s",
			         r == 0 ? "the server closed the connection"
			                : strerror(errno));
			return false;
		}
		done += (size_t)r;
	}
	return true;
}

int tool_tcp_exchange(const struct tool_server *s, const uint8_t *req,
                      size_t qlen, uint8_t *resp, size_t rcap,
                      const struct timespec *deadline, char *why, size_t cap)
{
	uint8_t l[2];
	dnsd_wire w;
	if (qlen > 65535) {
		snprintf(why, cap, "the message does not fit in TCP");
		return 0;
	}
	/* the length and the message in one send: two would wait for an
	 * ACK of the first (Nagle's algorithm against delayed ACKs) */
	uint8_t *frame = malloc(qlen + 2);
	if (!frame) {
		snprintf(why, cap, "out of memory");
		return 0;
	}
	dnsd_wire_init_write(&w, frame, 2);
	dnsd_wire_put_u16(&w, (uint16_t)qlen);
	memcpy(frame + 2, req, qlen);
	int fd = tool_tcp_connect(s, deadline, why, cap);
	int r = 0;
	if (fd >= 0 &&
	    tool_io_full(fd, frame, qlen + 2, true, deadline, why, cap))
		while (tool_io_full(fd, l, 2, false, deadline, why, cap)) {
			dnsd_wire_init_read(&w, l, 2);
			size_t rl = dnsd_wire_u16(&w);
			if (rl > rcap) {
				snprintf(why, cap, "an answer of %zu octets",
				         rl);
				break;
			}
			if (!tool_io_full(fd, resp, rl, false, deadline, why,
			                  cap))
				break;
			if (tool_answers(req, qlen, resp, rl)) {
				r = (int)rl;
				break;
			}
		}
	if (fd >= 0)
		close(fd);
	free(frame);
	return r;
}

const dnsd_rr *tool_zone_soa(const dnsd_msg *m, int sec, const uint8_t *name)
{
	for (unsigned i = 0; i < m->count[sec]; i++) {
		const dnsd_rr *rr = &m->sec[sec][i];
		if (rr->type == DNSD_TYPE_SOA && rr->rclass == DNSD_CLASS_IN &&
		    dnsd_name_is_subdomain(name, rr->owner))
			return rr;
	}
	return NULL;
}

enum tool_verdict tool_verdict_of(const struct tool_server *s, bool is_signed,
                                  dnsd_tsig_ctx *c, const uint8_t *resp,
                                  size_t len, char *text, size_t cap)
{
	dnsd_hdr h;
	dnsd_hdr_parse(resp, len, &h);
	int rcode = DNSD_RCODE(h.flags);
	const char *rname = dnsd_tsig_error_name((uint16_t)rcode);
	enum tool_verdict by_rcode =
	    rcode == DNSD_RCODE_NOERROR ? TOOL_NOERROR : TOOL_REFUSED;
	snprintf(text, cap, "%s", rname);
	if (!is_signed)
		return by_rcode;
	dnsd_query q;
	dnsd_tsig_rr t;
	if (dnsd_query_parse(resp, len, &q) < 0 || q.tsig_offset == 0 ||
	    dnsd_tsig_rr_parse(resp, len, q.tsig_offset, &t) < 0) {
		tool_warnx("%s: the answer (%s) is not signed", s->name, rname);
		return TOOL_UNTRUSTED;
	}
	int r = dnsd_tsig_verify_response(c, resp, len, (uint64_t)time(NULL));
	if (r < 0) {
		/* the server's own unsigned refusal of the key (BADKEY,
		 * BADSIG) is an answer; anything else cannot be trusted */
		if (t.mac_len == 0 && rcode == DNSD_RCODE_NOTAUTH && t.error) {
			snprintf(text, cap, "%s (%s)", rname,
			         dnsd_tsig_error_name(t.error));
			return TOOL_REFUSED;
		}
		tool_warnx("%s: the answer (%s) failed TSIG verification: %s",
		           s->name, rname,
		           r == DNSD_EMALFORM ? "malformed"
		                              : dnsd_tsig_error_name(c->error));
		return TOOL_UNTRUSTED;
	}
	if (c->error) {
		snprintf(text, cap, "%s (%s)", rname,
		         dnsd_tsig_error_name(c->error));
		return TOOL_REFUSED;
	}
	return by_rcode;
}

enum tool_verdict tool_judge(const struct tool_server *s, bool is_signed,
                             dnsd_tsig_ctx *c, const uint8_t *resp, size_t len)
{
	char text[64];
	enum tool_verdict v =
	    tool_verdict_of(s, is_signed, c, resp, len, text, sizeof text);
	if (v != TOOL_UNTRUSTED)
		printf("%s\n", text);
	return v;
}

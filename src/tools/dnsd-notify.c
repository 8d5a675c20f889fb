/* dnsd-notify: sends a NOTIFY (RFC 1996) for a zone, TSIG-signed when a
 * key is given, and says what the server answered.
 *
 * Over UDP, three tries two seconds apart, each with a new ID and a new
 * signature (a server with replay memory refuses a repeated MAC); over
 * TCP with --tcp or when the UDP answer is truncated. A signed NOTIFY
 * needs a signed answer that verifies: an unsigned answer, a bad MAC or
 * a time outside the fudge is an error even when the RCODE is NOERROR.
 *
 * Exit status: 0 the server answered NOERROR (and the answer verified),
 * 1 any other answer, no answer, or a TSIG failure, 2 usage error. */
#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_TRIES       3
#define NOTIFY_WAIT_MS     2000
#define NOTIFY_TCP_WAIT_MS 5000

static const char usage_text[] =
    "usage: dnsd-notify SERVER[:PORT] ZONE [--key NAME:ALG:SECRET | -k "
    "FILE]\n"
    "                   [--serial N] [--tcp]\n"
    "  SERVER             an address (IPv6 as [::1]:PORT) or a host name;\n"
    "                     port 53 unless given\n"
    "      --key K        sign with K, written NAME:ALG:SECRET\n"
    "  -k, --key-file F   sign with a key from F: a BIND key file or a\n"
    "                     _keys file (the key that may notify ZONE, else\n"
    "                     the first)\n"
    "  -s, --serial N     put ZONE's SOA with serial N in the answer "
    "section\n"
    "  -t, --tcp          use TCP (otherwise only when the UDP answer is\n"
    "                     truncated)\n"
    "  -h, --help         this text\n"
    "  -V, --version      print the version\n"
    "Prints the server's RCODE (and TSIG error).\n"
    "Exit status: 0 NOERROR, 1 anything else, 2 usage error.\n";

enum { OPT_KEY = 256 };

static const struct option long_opts[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"key-file", required_argument, NULL, 'k'},
    {"serial", required_argument, NULL, 's'},
    {"tcp", no_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

struct notify {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char server[300]; /* as given, for messages */
	uint8_t zone[DNSD_NAME_MAX];
	bool have_serial;
	uint32_t serial;
	bool tcp;
	bool have_key;
	dnsd_key key;
};

static void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dnsd-notify: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "dnsd-notify: %s\n%s", msg, usage_text);
	return 2;
}

/* SERVER[:PORT], [V6]:PORT, V6, or a host name. */
static int parse_server(struct notify *n, const char *s)
{
	char host[256];
	const char *port = "53";
	const char *c;

	snprintf(n->server, sizeof n->server, "%s", s);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (e[1] != 0 && e[1] != ':') ||
		    (size_t)(e - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = 0;
		if (e[1] == ':')
			port = e + 2;
	} else if ((c = strchr(s, ':')) && !strchr(c + 1, ':')) {
		if ((size_t)(c - s) >= sizeof host)
			return -1;
		memcpy(host, s, (size_t)(c - s));
		host[c - s] = 0;
		port = c + 1;
	} else {
		if (strlen(s) >= sizeof host)
			return -1;
		strcpy(host, s); /* a host name, IPv4, or a bare IPv6 */
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == 0 || *end != 0 || p < 1 || p > 65535)
		return -1;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(&n->addr, res->ai_addr, res->ai_addrlen);
	n->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The key of FILE that may notify zone, else its first. */
static int load_key_file(struct notify *n, const char *path)
{
	char err[512];
	dnsd_keystore *ks = dnsd_keystore_new();
	if (!ks)
		return -1;
	int r = dnsd_keystore_load_file(ks, path, err, sizeof err);
	if (r < 0) {
		warnx("%s", err);
		dnsd_keystore_free(ks);
		return -1;
	}
	size_t count = dnsd_keystore_count(ks), pick = 0;
	uint8_t name[DNSD_NAME_MAX];
	if (count == 0) {
		warnx("%s: no key in the file", path);
		dnsd_keystore_free(ks);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		if (dnsd_keystore_name_at(ks, i, name) == 0 &&
		    dnsd_key_allows(name, DNSD_KEY_OP_NOTIFY, n->zone)) {
			pick = i;
			break;
		}
	dnsd_keystore_name_at(ks, pick, name);
	r = dnsd_keystore_get(ks, name, &n->key);
	dnsd_keystore_free(ks);
	n->have_key = r == 0;
	return r == 0 ? 0 : -1;
}

/* The NOTIFY, signed when there is a key; its length or -1. */
static int build(struct notify *n, dnsd_tsig_ctx *c, uint8_t *buf, size_t cap)
{
	uint16_t id;
	if (RAND_bytes((uint8_t *)&id, sizeof id) != 1)
		return -1;
	dnsd_hdr h = {.id = id,
	              .flags = DNSD_OPCODE_NOTIFY << 11 | DNSD_FLAG_AA};
	dnsd_msg_builder b;
	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, n->zone, DNSD_TYPE_SOA, DNSD_CLASS_IN);
	if (n->have_serial) {
		/* Only the serial matters to the receiver (RFC 1996 §3.7);
		 * the names are the zone's apex, the timers zero. */
		uint8_t rd[2 * DNSD_NAME_MAX + 20];
		dnsd_wire w;
		dnsd_wire_init_write(&w, rd, sizeof rd);
		dnsd_wire_put(&w, n->zone, dnsd_name_len(n->zone));
		dnsd_wire_put(&w, n->zone, dnsd_name_len(n->zone));
		dnsd_wire_put_u32(&w, n->serial);
		for (int i = 0; i < 4; i++)
			dnsd_wire_put_u32(&w, 0);
		dnsd_msg_section(&b, DNSD_SEC_ANSWER);
		if (w.err || dnsd_msg_rr(&b, n->zone, DNSD_TYPE_SOA,
		                         DNSD_CLASS_IN, 0, rd, w.pos) < 0)
			return -1;
	}
	int len = dnsd_msg_finish(&b);
	if (len < 0 || !n->have_key)
		return len;
	dnsd_tsig_ctx_clear(c);
	int r = dnsd_tsig_sign_request(c, &n->key, buf, (size_t)len, cap,
	                               (uint64_t)time(NULL), DNSD_TSIG_FUDGE);
	return r < 0 ? -1 : r;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC). */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	          (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

static void deadline_in(struct timespec *d, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += ms / 1000;
	d->tv_nsec += (long)(ms % 1000) * 1000000;
	if (d->tv_nsec >= 1000000000) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000;
	}
}

/* True when resp answers req: same ID, QR, opcode NOTIFY, question. */
static bool answers(const uint8_t *req, size_t qlen, const uint8_t *resp,
                    size_t rlen)
{
	dnsd_query a, b;
	if (dnsd_query_parse(req, qlen, &a) < 0 ||
	    dnsd_hdr_parse(resp, rlen, &b.hdr) < 0)
		return false;
	if (b.hdr.id != a.hdr.id || !(b.hdr.flags & DNSD_FLAG_QR) ||
	    DNSD_OPCODE(b.hdr.flags) != DNSD_OPCODE_NOTIFY)
		return false;
	/* an answer without a question (FORMERR from some servers) is
	 * still an answer */
	if (dnsd_query_parse(resp, rlen, &b) < 0 || b.hdr.qdcount == 0)
		return true;
	return b.qtype == a.qtype && dnsd_name_equal(b.qname, a.qname);
}

static bool same_peer(const struct sockaddr_storage *a,
                      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
		                         *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* One exchange over UDP: tries with fresh IDs; the answer's length, 0
 * for no answer, -1 for an error. */
static int over_udp(struct notify *n, dnsd_tsig_ctx *c, uint8_t *resp,
                    size_t cap)
{
	uint8_t req[1024];
	int fd = socket(n->addr.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		warnx("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&n->addr, n->addrlen) < 0) {
		warnx("%s: %s", n->server, strerror(errno));
		close(fd);
		return -1;
	}
	for (int t = 0; t < NOTIFY_TRIES; t++) {
		int qlen = build(n, c, req, sizeof req);
		if (qlen < 0) {
			close(fd);
			return -1;
		}
		if (send(fd, req, (size_t)qlen, 0) < 0)
			warnx("%s: %s", n->server, strerror(errno));
		struct timespec dl;
		deadline_in(&dl, NOTIFY_WAIT_MS);
		for (;;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int left = ms_left(&dl);
			if (left == 0 || poll(&p, 1, left) <= 0)
				break;
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t r = recvfrom(fd, resp, cap, 0,
			                     (struct sockaddr *)&from, &fl);
			if (r < 0)
				break; /* ICMP unreachable: wait out the try */
			if (same_peer(&from, &n->addr) &&
			    answers(req, (size_t)qlen, resp, (size_t)r)) {
				close(fd);
				return (int)r;
			}
		}
	}
	close(fd);
	return 0;
}

static bool io_full(int fd, uint8_t *buf, size_t len, bool wr,
                    const struct timespec *dl)
{
	size_t done = 0;
	while (done < len) {
		struct pollfd p = {.fd = fd, .events = wr ? POLLOUT : POLLIN};
		int left = ms_left(dl);
		if (left == 0 || poll(&p, 1, left) <= 0)
			return false;
		ssize_t r = wr ? write(fd, buf + done, len - done)
		               : read(fd, buf + done, len - done);
		if (r <= 0)
			return false;
		done += (size_t)r;
	}
	return true;
}

static int over_tcp(struct notify *n, dnsd_tsig_ctx *c, uint8_t *resp,
                    size_t cap)
{
	uint8_t req[1026];
	int qlen = build(n, c, req + 2, sizeof req - 2);
	if (qlen < 0)
		return -1;
	req[0] = (uint8_t)(qlen >> 8);
	req[1] = (uint8_t)qlen;
	int fd = socket(n->addr.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		warnx("socket: %s", strerror(errno));
		return -1;
	}
	struct timespec dl;
	deadline_in(&dl, NOTIFY_TCP_WAIT_MS);
	if (connect(fd, (struct sockaddr *)&n->addr, n->addrlen) < 0) {
		warnx("%s: TCP: %s", n->server, strerror(errno));
		close(fd);
		return -1;
	}
	uint8_t l[2];
	int r = 0;
	if (io_full(fd, req, (size_t)qlen + 2, true, &dl) &&
	    io_full(fd, l, 2, false, &dl)) {
		size_t rl = (size_t)l[0] << 8 | l[1];
		if (rl <= cap && io_full(fd, resp, rl, false, &dl) &&
		    answers(req + 2, (size_t)qlen, resp, rl))
			r = (int)rl;
	}
	close(fd);
	return r;
}

/* Judges the answer: prints the RCODE; the exit status. */
static int judge(struct notify *n, dnsd_tsig_ctx *c, const uint8_t *resp,
                 size_t len)
{
	dnsd_hdr h;
	dnsd_hdr_parse(resp, len, &h);
	int rcode = DNSD_RCODE(h.flags);
	const char *rname = dnsd_tsig_error_name((uint16_t)rcode);
	if (!n->have_key) {
		printf("%s\n", rname);
		return rcode == DNSD_RCODE_NOERROR ? 0 : 1;
	}
	dnsd_query q;
	dnsd_tsig_rr t;
	if (dnsd_query_parse(resp, len, &q) < 0 || q.tsig_offset == 0 ||
	    dnsd_tsig_rr_parse(resp, len, q.tsig_offset, &t) < 0) {
		warnx("%s: the answer (%s) is not signed", n->server, rname);
		return 1;
	}
	int r = dnsd_tsig_verify_response(c, resp, len, (uint64_t)time(NULL));
	if (r < 0) {
		/* the server's own unsigned refusal (BADKEY, BADSIG) is an
		 * answer; anything else is a reply we cannot trust */
		if (t.mac_len == 0 && rcode == DNSD_RCODE_NOTAUTH && t.error) {
			printf("%s (%s)\n", rname,
			       dnsd_tsig_error_name(t.error));
			return 1;
		}
		warnx("%s: the answer (%s) failed TSIG verification: %s",
		      n->server, rname,
		      r == DNSD_EMALFORM ? "malformed"
		                         : dnsd_tsig_error_name(c->error));
		return 1;
	}
	if (c->error) {
		printf("%s (%s)\n", rname, dnsd_tsig_error_name(c->error));
		return 1;
	}
	printf("%s\n", rname);
	return rcode == DNSD_RCODE_NOERROR ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct notify n;
	int c;
	const char *key_text = NULL, *key_file = NULL;

	memset(&n, 0, sizeof n);
	while ((c = getopt_long(argc, argv, "k:s:thV", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case OPT_KEY:
			key_text = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 's': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || v > UINT32_MAX ||
			    optarg[0] == '-')
				return usage_error("--serial: expected a "
				                   "number 0..4294967295");
			n.serial = (uint32_t)v;
			n.have_serial = true;
			break;
		}
		case 't':
			n.tcp = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("dnsd-notify %s\n", DNSD_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (argc - optind != 2)
		return usage_error("expected SERVER[:PORT] and ZONE");
	if (key_text && key_file)
		return usage_error("--key and -k exclude each other");
	const char *zone = argv[optind + 1];
	static const uint8_t root[1] = {0};
	if (dnsd_name_from_text(zone, strlen(zone), root, n.zone) < 0)
		return usage_error("ZONE is not a valid domain name");
	if (parse_server(&n, argv[optind]) < 0)
		return usage_error("SERVER: expected an address or host name, "
		                   "with :PORT 1..65535 (IPv6 as [::1]:PORT)");
	if (key_text) {
		char err[256];
		if (dnsd_key_from_text(key_text, &n.key, err, sizeof err) < 0) {
			fprintf(stderr, "dnsd-notify: --key: %s\n", err);
			return 2;
		}
		n.have_key = true;
	} else if (key_file && load_key_file(&n, key_file) < 0) {
		return 2;
	}

	uint8_t resp[65535];
	dnsd_tsig_ctx tc;
	dnsd_tsig_ctx_init(&tc);
	int len = n.tcp ? 0 : over_udp(&n, &tc, resp, sizeof resp);
	if (len > 0) {
		dnsd_hdr h;
		dnsd_hdr_parse(resp, (size_t)len, &h);
		if (h.flags & DNSD_FLAG_TC)
			n.tcp = true;
	}
	if (n.tcp && len >= 0)
		len = over_tcp(&n, &tc, resp, sizeof resp);
	int status;
	if (len == 0) {
		warnx("%s: no answer", n.server);
		status = 1;
	} else if (len < 0) {
		status = 1;
	} else {
		status = judge(&n, &tc, resp, (size_t)len);
	}
	dnsd_tsig_ctx_clear(&tc);
	explicit_bzero(&n.key, sizeof n.key);
	return status;
}

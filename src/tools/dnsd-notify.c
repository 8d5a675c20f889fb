/* dnsd-notify: sends a NOTIFY (RFC 1996) for a zone, TSIG-signed when a
 * key is given, and says what the server answered.
 *
 * Over UDP, three tries two seconds apart, each with a new ID and a new
 * signature (a server with replay memory refuses a repeated MAC); over
 * TCP with --tcp or when the UDP answer is truncated. A signed NOTIFY
 * needs a signed answer that verifies: an unsigned answer, a bad MAC or
 * a time outside the fudge is an error even when the RCODE is NOERROR.
 *
 * With --wait, an acknowledged NOTIFY is followed by SOA queries to the
 * same server (signed alike) until it serves the serial of --serial or
 * of --zone-file: what a push hook waits for before saying "deployed".
 *
 * Exit status: 0 the server answered NOERROR (and the answer verified,
 * and with --wait the serial was reached), 1 any other answer, no
 * answer, or a TSIG failure, 2 usage error (or an unusable --key-file or
 * --zone-file), 3 --wait timed out. */
#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>
#include <dnsd/zone.h>
#include <dnsd/zonefile.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toolnet.h"

#define NOTIFY_TRIES       3
#define NOTIFY_WAIT_MS     2000
#define NOTIFY_TCP_WAIT_MS 5000
/* --wait: a SOA query every POLL_MS, a lost one given up after
 * POLL_ANSWER_MS (and sent again) */
#define POLL_MS           150
#define POLL_ANSWER_MS    1000
#define WAIT_DEFAULT_S    30
#define WAIT_MAX_S        86400
#define EXIT_WAIT_TIMEOUT 3

static const char usage_text[] =
    "usage: dnsd-notify SERVER[:PORT] ZONE [--key NAME:ALG:SECRET | -k "
    "FILE]\n"
    "                   [--serial N | --zone-file F] [--tcp]\n"
    "                   [--wait [SECONDS]]\n"
    "  SERVER             an address (IPv6 as [::1]:PORT) or a host name;\n"
    "                     port 53 unless given\n"
    "      --key K        sign with K, written NAME:ALG:SECRET\n"
    "  -k, --key-file F   sign with a key from F: a BIND key file or a\n"
    "                     _keys file (the key that may notify ZONE, else\n"
    "                     the first)\n"
    "  -s, --serial N     put ZONE's SOA with serial N in the answer "
    "section\n"
    "      --zone-file F  the same with the serial of the SOA in the zone\n"
    "                     file F (origin ZONE)\n"
    "      --wait [S]     after NOERROR, query the server's SOA until it\n"
    "                     serves that serial or later (RFC 1982), for at\n"
    "                     most S seconds (1..86400, default 30); needs\n"
    "                     --serial or --zone-file\n"
    "  -t, --tcp          use TCP (otherwise only when the UDP answer is\n"
    "                     truncated)\n"
    "  -h, --help         this text\n"
    "  -V, --version      print the version\n"
    "Prints the server's RCODE (and TSIG error); with --wait, then the\n"
    "serial the server serves.\n"
    "Exit status: 0 NOERROR (and with --wait the serial served), 1 anything\n"
    "else, 2 usage error, 3 --wait timed out.\n";

enum { OPT_KEY = 256, OPT_ZONE_FILE, OPT_WAIT };

static const struct option long_opts[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"key-file", required_argument, NULL, 'k'},
    {"serial", required_argument, NULL, 's'},
    {"zone-file", required_argument, NULL, OPT_ZONE_FILE},
    {"wait", optional_argument, NULL, OPT_WAIT},
    {"tcp", no_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

struct notify {
	struct tool_server srv;
	const char *zone_text; /* as given, for messages */
	uint8_t zone[DNSD_NAME_MAX];
	bool have_serial;
	uint32_t serial;
	bool tcp;
	int wait_s; /* --wait: seconds, 0 without */
	bool have_key;
	dnsd_key key;
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "dnsd-notify: %s\n%s", msg, usage_text);
	return 2;
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
		tool_warnx("%s", err);
		dnsd_keystore_free(ks);
		return -1;
	}
	if (dnsd_keystore_count(ks) == 0) {
		tool_warnx("%s: no key in the file", path);
		dnsd_keystore_free(ks);
		return -1;
	}
	r = tool_key_pick(ks, DNSD_KEY_OP_NOTIFY, n->zone, &n->key);
	dnsd_keystore_free(ks);
	n->have_key = r == 0;
	return r;
}

/* Starts a message for ZONE's SOA with a random ID; -1 when there is no
 * randomness. */
static int begin(struct notify *n, dnsd_msg_builder *b, uint8_t *buf,
                 size_t cap, uint16_t flags)
{
	uint16_t id;
	if (RAND_bytes((uint8_t *)&id, sizeof id) != 1)
		return -1;
	dnsd_hdr h = {.id = id, .flags = flags};
	dnsd_msg_begin(b, buf, cap, &h);
	dnsd_msg_question(b, n->zone, DNSD_TYPE_SOA, DNSD_CLASS_IN);
	return 0;
}

/* Ends the message, signed when there is a key; its length or -1. */
static int finish(struct notify *n, dnsd_tsig_ctx *c, dnsd_msg_builder *b,
                  uint8_t *buf, size_t cap)
{
	int len = dnsd_msg_finish(b);
	if (len < 0 || !n->have_key)
		return len;
	dnsd_tsig_ctx_clear(c);
	int r = dnsd_tsig_sign_request(c, &n->key, buf, (size_t)len, cap,
	                               (uint64_t)time(NULL), DNSD_TSIG_FUDGE);
	return r < 0 ? -1 : r;
}

/* The NOTIFY, signed when there is a key; its length or -1. */
static int build(struct notify *n, dnsd_tsig_ctx *c, uint8_t *buf, size_t cap)
{
	dnsd_msg_builder b;
	if (begin(n, &b, buf, cap, DNSD_OPCODE_NOTIFY << 11 | DNSD_FLAG_AA) < 0)
		return -1;
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
	return finish(n, c, &b, buf, cap);
}

/* The SOA query of --wait (no RD: the server itself must answer),
 * signed when there is a key; its length or -1. */
static int build_soa(struct notify *n, dnsd_tsig_ctx *c, uint8_t *buf,
                     size_t cap)
{
	dnsd_msg_builder b;
	if (begin(n, &b, buf, cap, DNSD_OPCODE_QUERY << 11) < 0)
		return -1;
	return finish(n, c, &b, buf, cap);
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

/* The answer to req on the UDP socket fd, until dl: its length, or 0
 * for none. */
static int recv_answer(int fd, const struct notify *n, const uint8_t *req,
                       size_t qlen, uint8_t *resp, size_t cap,
                       const struct timespec *dl)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = tool_ms_left(dl);
		if (left == 0 || poll(&p, 1, left) <= 0)
			return 0;
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t r =
		    recvfrom(fd, resp, cap, 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return 0; /* ICMP unreachable: the next try */
		if (same_peer(&from, &n->srv.addr) &&
		    tool_answers(req, qlen, resp, (size_t)r))
			return (int)r;
	}
}

/* A UDP socket connected to the server, or -1 (said why). */
static int udp_socket(const struct notify *n)
{
	int fd = socket(n->srv.addr.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		tool_warnx("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&n->srv.addr, n->srv.addrlen) <
	    0) {
		tool_warnx("%s: %s", n->srv.name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One exchange over UDP: tries with fresh IDs; the answer's length, 0
 * for no answer, -1 for an error. */
static int over_udp(struct notify *n, dnsd_tsig_ctx *c, uint8_t *resp,
                    size_t cap)
{
	uint8_t req[1024];
	int fd = udp_socket(n);
	if (fd < 0)
		return -1;
	for (int t = 0; t < NOTIFY_TRIES; t++) {
		int qlen = build(n, c, req, sizeof req);
		if (qlen < 0) {
			close(fd);
			return -1;
		}
		if (send(fd, req, (size_t)qlen, 0) < 0)
			tool_warnx("%s: %s", n->srv.name, strerror(errno));
		struct timespec dl;
		tool_deadline_in(&dl, NOTIFY_WAIT_MS);
		int r = recv_answer(fd, n, req, (size_t)qlen, resp, cap, &dl);
		if (r > 0) {
			close(fd);
			return r;
		}
	}
	close(fd);
	return 0;
}

/* Over TCP; 0 (said: why) when no answer came. */
static int over_tcp(struct notify *n, dnsd_tsig_ctx *c, uint8_t *resp,
                    size_t cap)
{
	uint8_t req[1024];
	char why[200];
	int qlen = build(n, c, req, sizeof req);
	if (qlen < 0)
		return -1;
	struct timespec dl;
	tool_deadline_in(&dl, NOTIFY_TCP_WAIT_MS);
	int r = tool_tcp_exchange(&n->srv, req, (size_t)qlen, resp, cap, &dl,
	                          why, sizeof why);
	if (r == 0)
		tool_warnx("%s: TCP: %s", n->srv.name, why);
	return r;
}

/* ---- --wait --------------------------------------------------------- */

/* Only errors: warnings are dnsd-checkzone's business, not a hook's. */
static void diag_errors(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (d->severity == DNSD_DIAG_ERROR)
		dnsd_diag_print(stderr, d);
}

/* --zone-file: the serial of the file's SOA, the file loaded as the
 * server loads it (origin ZONE); -1 when it does not load (said why). */
static int zone_file_serial(struct notify *n, const char *path)
{
	dnsd_zf_opts o = {.origin = n->zone, .diag = diag_errors};
	dnsd_zone *z;
	int r = dnsd_zone_load(path, &o, NULL, &z);
	if (r < 0) {
		if (r == DNSD_ESYNTAX || r == DNSD_EZONE)
			tool_warnx("%s: not a valid zone %s", path,
			           n->zone_text);
		else
			tool_warnx("%s: %s", path, dnsd_strerror(r));
		return -1;
	}
	n->serial = dnsd_zone_serial(z);
	n->have_serial = true;
	dnsd_zone_unref(z);
	return 0;
}

/* What the SOA answers said so far, for the message on a timeout. */
struct seen {
	bool answered;     /* any answer at all */
	bool serial_known; /* serial: the last serial served */
	uint32_t serial;
	char why[160]; /* the last answer had no serial: what it was */
};

/* Reads ZONE's serial out of a SOA answer into s; false when the answer
 * has none we can trust (s->why says what it was instead). */
static bool soa_serial(struct notify *n, dnsd_tsig_ctx *c, const uint8_t *resp,
                       size_t len, struct seen *s)
{
	dnsd_hdr h;
	dnsd_hdr_parse(resp, len, &h);
	const char *rname = dnsd_tsig_error_name((uint16_t)DNSD_RCODE(h.flags));
	s->answered = true;
	if (n->have_key) {
		dnsd_query q;
		int r = dnsd_query_parse(resp, len, &q);
		if (r < 0) {
			snprintf(s->why, sizeof s->why, "a malformed %s",
			         rname);
			return false;
		}
		if (q.tsig_offset == 0) {
			snprintf(s->why, sizeof s->why, "an unsigned %s",
			         rname);
			return false;
		}
		r = dnsd_tsig_verify_response(c, resp, len,
		                              (uint64_t)time(NULL));
		if (r < 0) {
			snprintf(s->why, sizeof s->why,
			         "%s failing TSIG verification (%s)", rname,
			         r == DNSD_EMALFORM
			             ? "malformed"
			             : dnsd_tsig_error_name(c->error));
			return false;
		}
		if (c->error) {
			snprintf(s->why, sizeof s->why, "%s (%s)", rname,
			         dnsd_tsig_error_name(c->error));
			return false;
		}
	}
	if (DNSD_RCODE(h.flags) != DNSD_RCODE_NOERROR) {
		snprintf(s->why, sizeof s->why, "%s", rname);
		return false;
	}
	dnsd_arena a;
	dnsd_msg m;
	bool found = false;
	dnsd_arena_init(&a, 4096);
	if (dnsd_msg_parse(resp, len, &a, &m) == 0)
		for (unsigned i = 0; i < m.count[DNSD_SEC_ANSWER] && !found;
		     i++) {
			const dnsd_rr *rr = &m.sec[DNSD_SEC_ANSWER][i];
			found =
			    rr->type == DNSD_TYPE_SOA &&
			    rr->rclass == DNSD_CLASS_IN &&
			    dnsd_name_equal(rr->owner, n->zone) &&
			    dnsd_soa_fields(rr->rdata, rr->rdlen, &s->serial,
			                    NULL, NULL, NULL, NULL) == 0;
		}
	dnsd_arena_free(&a);
	if (!found) {
		snprintf(s->why, sizeof s->why, "NOERROR without the SOA");
		return false;
	}
	s->serial_known = true;
	s->why[0] = 0;
	return true;
}

/* "At least" in serial number space (RFC 1982 §3.2). */
static bool serial_reached(uint32_t served, uint32_t want)
{
	return served == want || dnsd_serial_gt(served, want);
}

static void wait_timed_out(const struct notify *n, const struct seen *s)
{
	char last[256];
	if (!s->answered)
		snprintf(last, sizeof last, "no answer to the SOA queries");
	else if (s->why[0] && s->serial_known)
		snprintf(last, sizeof last,
		         "the last answer was %s, the last serial seen %u",
		         s->why, s->serial);
	else if (s->why[0])
		snprintf(last, sizeof last, "the last answer was %s", s->why);
	else
		snprintf(last, sizeof last, "it serves serial %u", s->serial);
	tool_warnx("%s: zone %s: serial %u not served after %d s: %s",
	           n->srv.name, n->zone_text, n->serial, n->wait_s, last);
}

/* --wait: SOA queries every POLL_MS until the server serves n->serial
 * or later; 0 (the serial printed), 1 for an error, EXIT_WAIT_TIMEOUT. */
static int wait_serial(struct notify *n, dnsd_tsig_ctx *c)
{
	uint8_t req[1024], resp[65535];
	struct seen s = {0};
	struct timespec end, next, dl;
	int fd = udp_socket(n);
	if (fd < 0)
		return 1;
	tool_deadline_in(&end, n->wait_s * 1000);
	for (;;) {
		tool_deadline_in(&next, POLL_MS);
		int qlen = build_soa(n, c, req, sizeof req);
		if (qlen < 0) {
			close(fd);
			return 1;
		}
		/* a failed send (an ICMP error of the last query) is one
		 * more query without an answer */
		(void)send(fd, req, (size_t)qlen, 0);
		int left = tool_ms_left(&end);
		tool_deadline_in(&dl,
		                 left < POLL_ANSWER_MS ? left : POLL_ANSWER_MS);
		int len = recv_answer(fd, n, req, (size_t)qlen, resp,
		                      sizeof resp, &dl);
		if (len > 0 && soa_serial(n, c, resp, (size_t)len, &s) &&
		    serial_reached(s.serial, n->serial)) {
			printf("serial %u\n", s.serial);
			close(fd);
			return 0;
		}
		left = tool_ms_left(&end);
		if (left == 0)
			break;
		int pause = tool_ms_left(&next);
		poll(NULL, 0, pause < left ? pause : left);
	}
	close(fd);
	wait_timed_out(n, &s);
	return EXIT_WAIT_TIMEOUT;
}

/* --wait's optional SECONDS: 1..WAIT_MAX_S. */
static int parse_seconds(const char *s, int *out)
{
	long v;
	if (tool_parse_range(s, 1, WAIT_MAX_S, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int main(int argc, char **argv)
{
	struct notify n;
	int c;
	const char *key_text = NULL, *key_file = NULL, *zone_file = NULL;

	tool_setprogname("dnsd-notify");
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
		case OPT_ZONE_FILE:
			zone_file = optarg;
			break;
		case OPT_WAIT: {
			/* --wait=S, or --wait S when the next argument is
			 * all digits (no SERVER or ZONE anybody uses is) */
			const char *arg = optarg;
			if (!arg && optind < argc && all_digits(argv[optind]))
				arg = argv[optind++];
			n.wait_s = WAIT_DEFAULT_S;
			if (arg && parse_seconds(arg, &n.wait_s) < 0)
				return usage_error("--wait: expected seconds "
				                   "1..86400");
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
	if (zone_file && n.have_serial)
		return usage_error(
		    "--serial and --zone-file exclude each other");
	if (n.wait_s && !zone_file && !n.have_serial)
		return usage_error("--wait needs --serial or --zone-file");
	n.zone_text = argv[optind + 1];
	static const uint8_t root[1] = {0};
	if (dnsd_name_from_text(n.zone_text, strlen(n.zone_text), root,
	                        n.zone) < 0)
		return usage_error("ZONE is not a valid domain name");
	if (tool_server_parse(&n.srv, argv[optind]) < 0)
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
	if (zone_file && zone_file_serial(&n, zone_file) < 0) {
		explicit_bzero(&n.key, sizeof n.key);
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
		tool_warnx("%s: no answer", n.srv.name);
		status = 1;
	} else if (len < 0) {
		status = 1;
	} else {
		/* an answer that cannot be trusted is no better than a
		 * refusal to a push hook: 1 as well */
		status = tool_judge(&n.srv, n.have_key, &tc, resp,
		                    (size_t)len) == TOOL_NOERROR
		             ? 0
		             : 1;
	}
	if (status == 0 && n.wait_s) {
		fflush(stdout);
		status = wait_serial(&n, &tc);
	}
	dnsd_tsig_ctx_clear(&tc);
	explicit_bzero(&n.key, sizeof n.key);
	return status;
}

/* Prometheus metrics (metrics.h): the per-thread counter blocks, the main
 * loop's registry of labelled series, and the HTTP endpoint that renders
 * both, with what the published snapshot says of each zone. */
#include "metrics.h"
#include "log.h"
#include "role.h"
#include "server.h"

#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Thread_local dnsd_counters *dnsd_counters_self;

/* ---- the query path ---------------------------------------------------- */

const uint8_t dnsd_mx_qtype_index[256] = {
    [DNSD_TYPE_A] = DNSD_MX_QT_A,
    [DNSD_TYPE_NS] = DNSD_MX_QT_NS,
    [DNSD_TYPE_CNAME] = DNSD_MX_QT_CNAME,
    [DNSD_TYPE_SOA] = DNSD_MX_QT_SOA,
    [DNSD_TYPE_PTR] = DNSD_MX_QT_PTR,
    [DNSD_TYPE_MX] = DNSD_MX_QT_MX,
    [DNSD_TYPE_TXT] = DNSD_MX_QT_TXT,
    [DNSD_TYPE_AAAA] = DNSD_MX_QT_AAAA,
    [DNSD_TYPE_SRV] = DNSD_MX_QT_SRV,
    [DNSD_TYPE_NAPTR] = DNSD_MX_QT_NAPTR,
    [DNSD_TYPE_DS] = DNSD_MX_QT_DS,
    [DNSD_TYPE_DNSKEY] = DNSD_MX_QT_DNSKEY,
    [DNSD_TYPE_TLSA] = DNSD_MX_QT_TLSA,
    [DNSD_TYPE_SVCB] = DNSD_MX_QT_SVCB,
    [DNSD_TYPE_HTTPS] = DNSD_MX_QT_HTTPS,
    [DNSD_TYPE_ANY] = DNSD_MX_QT_ANY,
    [DNSD_TYPE_AXFR] = DNSD_MX_QT_AXFR,
    [DNSD_TYPE_IXFR] = DNSD_MX_QT_IXFR,
};

static const char *const mx_qtype_names[DNSD_MX_NQTYPE] = {
    "other", "A",     "NS",  "CNAME", "SOA",  "PTR",    "MX",
    "TXT",   "AAAA",  "SRV", "NAPTR", "DS",   "DNSKEY", "TLSA",
    "SVCB",  "HTTPS", "CAA", "ANY",   "AXFR", "IXFR"};

/* The bounds dnsd_mx_size_bucket() sorts into. */
static const unsigned mx_size_bounds[DNSD_MX_NSIZE - 1] = {DNSD_MX_SIZE_BOUNDS};

_Static_assert(DNSD_TYPE_CAA == 257, "dnsd_mx_qtype knows CAA as 257");
_Static_assert(DNSD_OPCODE_QUERY == 0 && DNSD_OPCODE_NOTIFY == 4 &&
                   DNSD_OPCODE_UPDATE == 5 && DNSD_FLAG_TC == 0x0200,
               "dnsd_counters_response's constants");

/* ---- the registry ------------------------------------------------------ */

struct mx_series {
	struct mx_series *next;
	enum dnsd_metric m;
	char *label; /* NULL: no label */
	double v;
};

struct dnsd_metrics {
	struct mx_series *series; /* in the order they were created */
	struct mx_series **tail;
	struct evhttp *http;
	time_t start;
};

static struct mx_series *mx_find(struct dnsd_metrics *x, enum dnsd_metric m,
                                 const char *label)
{
	for (struct mx_series *e = x->series; e != NULL; e = e->next)
		if (e->m == m &&
		    (e->label == label ||
		     (e->label && label && !strcmp(e->label, label))))
			return e;
	struct mx_series *e = calloc(1, sizeof(*e));
	if (e == NULL || (label != NULL && (e->label = strdup(label)) == NULL))
		fatalx("out of memory");
	e->m = m;
	*x->tail = e;
	x->tail = &e->next;
	return e;
}

void dnsd_metrics_set(dnsd_server *s, enum dnsd_metric m, const char *label,
                      double v)
{
	if (s->metrics != NULL)
		mx_find(s->metrics, m, label)->v = v;
}

void dnsd_metrics_add(dnsd_server *s, enum dnsd_metric m, const char *label,
                      double v)
{
	if (s->metrics != NULL)
		mx_find(s->metrics, m, label)->v += v;
}

/* ---- rendering --------------------------------------------------------- */

static const char *const mx_rcode_names[16] = {
    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "RCODE11",
    "RCODE12",  "RCODE13", "RCODE14",  "RCODE15"};
static const char *const mx_transport_names[] = {"udp", "tcp"};
static const char *const mx_family_names[] = {"ipv4", "ipv6"};
static const char *const mx_xfr_names[] = {"AXFR", "IXFR"};
static const char *const mx_xout_names[] = {"done", "cut_short", "refused"};
static const char *const mx_xin_names[] = {"done", "up_to_date", "failed"};
static const char *const mx_nout_names[] = {"acknowledged", "error", "timeout"};
static const char *const mx_okfail_names[] = {"ok", "failed"};
static const char *const mx_acme_names[] = {"issued", "failed"};

struct mx_label {
	const char *name;
	const char *const *values;
	unsigned n;
};

#define MX_LABEL(nm, arr)                                                      \
	{                                                                      \
		(nm), (arr), sizeof(arr) / sizeof((arr)[0])                    \
	}

/* A counter family over slots of the blocks: base + i * l2.n + j for
 * the values i of l1 and j of l2 (l2 empty: one label). Sparse
 * families (by rcode) write the first value (NOERROR) and then only the
 * series that are not zero: sixteen rcodes of zeros would be noise. */
struct mx_counter {
	const char *name, *help;
	unsigned base;
	struct mx_label l1, l2;
	bool sparse;
};

/* Bases past the blocks: the two families mx_sum() computes. */
enum { MX_QUERIES = DNSD_MX_NSLOTS, MX_RESPONSES = MX_QUERIES + 4 };
#define MX_NVALUES (MX_RESPONSES + 16)

static const struct mx_counter mx_counters[] = {
    {"dnsd_queries_total", "Requests received, by transport and family.",
     MX_QUERIES, MX_LABEL("transport", mx_transport_names),
     MX_LABEL("family", mx_family_names), false},
    {"dnsd_responses_total",
     "Responses sent, by the header's RCODE.",
     MX_RESPONSES,
     MX_LABEL("rcode", mx_rcode_names),
     {0},
     true},
    {"dnsd_query_types_total",
     "QUERY requests by QTYPE.",
     DNSD_MX_QTYPE,
     MX_LABEL("qtype", mx_qtype_names),
     {0},
     false},
    {"dnsd_responses_truncated_total",
     "Responses sent with TC set.",
     DNSD_MX_TRUNCATED,
     MX_LABEL("transport", mx_transport_names),
     {0},
     false},
    {"dnsd_notify_in_total",
     "NOTIFY requests answered, by RCODE.",
     DNSD_MX_NOTIFY_IN,
     MX_LABEL("rcode", mx_rcode_names),
     {0},
     true},
    {"dnsd_notify_out_total",
     "NOTIFY messages sent, by outcome.",
     DNSD_MX_NOTIFY_OUT,
     MX_LABEL("result", mx_nout_names),
     {0},
     false},
    {"dnsd_updates_total",
     "UPDATE requests answered, by RCODE.",
     DNSD_MX_UPDATE,
     MX_LABEL("rcode", mx_rcode_names),
     {0},
     true},
    {"dnsd_transfers_out_total", "Zone transfers served, by outcome.",
     DNSD_MX_XFR_OUT, MX_LABEL("type", mx_xfr_names),
     MX_LABEL("result", mx_xout_names), false},
    {"dnsd_transfers_in_total", "Zone transfers received, by outcome.",
     DNSD_MX_XFR_IN, MX_LABEL("type", mx_xfr_names),
     MX_LABEL("result", mx_xin_names), false},
    {"dnsd_git_fetches_total",
     "Fetches from the git remote, by outcome.",
     DNSD_MX_GIT_FETCH,
     MX_LABEL("result", mx_okfail_names),
     {0},
     false},
    {"dnsd_git_pushes_total",
     "Pushes to the git remote, by outcome.",
     DNSD_MX_GIT_PUSH,
     MX_LABEL("result", mx_okfail_names),
     {0},
     false},
    {"dnsd_acme_orders_total",
     "ACME orders finished, by outcome.",
     DNSD_MX_ACME_ORDERS,
     MX_LABEL("result", mx_acme_names),
     {0},
     false},
};

struct mx_registered {
	const char *name, *help, *type, *label;
	bool until; /* a time, served as seconds from now */
};

static const struct mx_registered mx_registered[DNSD_M_NMETRICS] = {
    [DNSD_M_ZONE_LOAD_TIME] =
        {"dnsd_zone_last_load_timestamp_seconds",
         "When the zone was last loaded from its source (file, git, transfer).",
         "gauge", "zone", false},
    [DNSD_M_ZONE_LOAD_ERRORS] = {"dnsd_zone_load_errors_total",
                                 "Loads or transfers of the zone that "
                                 "failed.",
                                 "counter", "zone", false},
    [DNSD_M_GIT_LAST_SUCCESS] = {"dnsd_git_last_success_timestamp_seconds",
                                 "When a git fetch or push last succeeded.",
                                 "gauge", "op", false},
    [DNSD_M_UPDATE_PENDING] = {"dnsd_update_commits_pending",
                               "Commits made for UPDATEs waiting to be "
                               "pushed.",
                               "gauge", NULL, false},
    [DNSD_M_ACME_ORDERS] = {"dnsd_acme_requests",
                            "Certificate requests seen, by state.", "gauge",
                            "state", false},
    [DNSD_M_CERT_EXPIRY] = {"dnsd_acme_certificate_expiry_seconds",
                            "Seconds until the certificate published for "
                            "the request expires.",
                            "gauge", "certificate", true},
};

static void mx_header(struct evbuffer *b, const char *name, const char *help,
                      const char *type)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	                    type);
}

/* A label value, escaped as the text format wants. */
static void mx_value(struct evbuffer *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

static void mx_label1(struct evbuffer *b, const char *name, const char *label,
                      const char *value)
{
	evbuffer_add_printf(b, "%s{%s=\"", name, label);
	mx_value(b, value);
	evbuffer_add(b, "\"} ", 3);
}

static void mx_render_counter(struct evbuffer *b, const struct mx_counter *c,
                              const uint64_t *sum)
{
	unsigned n2 = c->l2.n ? c->l2.n : 1;

	mx_header(b, c->name, c->help, "counter");
	for (unsigned i = 0; i < c->l1.n; i++) {
		for (unsigned j = 0; j < n2; j++) {
			uint64_t v = sum[c->base + i * n2 + j];
			if (c->sparse && v == 0 && i != 0)
				continue;
			evbuffer_add_printf(b, "%s{%s=\"%s\"", c->name,
			                    c->l1.name, c->l1.values[i]);
			if (c->l2.n)
				evbuffer_add_printf(b, ",%s=\"%s\"", c->l2.name,
				                    c->l2.values[j]);
			evbuffer_add_printf(b, "} %llu\n",
			                    (unsigned long long)v);
		}
	}
}

static void mx_render_sizes(struct evbuffer *b, const uint64_t *sum)
{
	const char *n = "dnsd_response_size_bytes";

	mx_header(b, n, "Sizes of the responses sent by the query workers.",
	          "histogram");
	for (unsigned t = 0; t < DNSD_MX_NTRANSPORT; t++) {
		const char *tn = mx_transport_names[t];
		uint64_t acc = 0;
		for (unsigned i = 0; i < DNSD_MX_NSIZE; i++) {
			acc += sum[DNSD_MX_SIZE + t * DNSD_MX_NSIZE + i];
			if (i < DNSD_MX_NSIZE - 1)
				evbuffer_add_printf(
				    b,
				    "%s_bucket{transport=\"%s\",le=\"%u\"} "
				    "%llu\n",
				    n, tn, mx_size_bounds[i],
				    (unsigned long long)acc);
			else
				evbuffer_add_printf(
				    b,
				    "%s_bucket{transport=\"%s\",le=\"+Inf\"} "
				    "%llu\n",
				    n, tn, (unsigned long long)acc);
		}
		evbuffer_add_printf(
		    b, "%s_sum{transport=\"%s\"} %llu\n", n, tn,
		    (unsigned long long)sum[DNSD_MX_SIZE_SUM + t]);
		evbuffer_add_printf(b, "%s_count{transport=\"%s\"} %llu\n", n,
		                    tn, (unsigned long long)acc);
	}
}

static void mx_render_registry(struct evbuffer *b, struct dnsd_metrics *x,
                               time_t now)
{
	for (unsigned m = 0; m < DNSD_M_NMETRICS; m++) {
		const struct mx_registered *r = &mx_registered[m];
		mx_header(b, r->name, r->help, r->type);
		for (struct mx_series *e = x->series; e != NULL; e = e->next) {
			if (e->m != m)
				continue;
			double v = r->until ? e->v - (double)now : e->v;
			if (e->label != NULL && r->label != NULL)
				mx_label1(b, r->name, r->label, e->label);
			else
				evbuffer_add_printf(b, "%s ", r->name);
			evbuffer_add_printf(b, "%.17g\n", v);
		}
	}
}

/* What the published snapshot says of each zone. The main loop is the
 * only publisher and frees old snapshots itself: the one it loads stays
 * valid for this callback. */
static void mx_render_zones(struct evbuffer *b, dnsd_server *s)
{
	const dnsd_zonedb *db = atomic_load(&s->db);
	size_t n = db ? dnsd_zonedb_count(db) : 0;
	char zone[DNSD_NAME_TEXT_MAX];
	static const char *const names[] = {"dnsd_zone_serial",
	                                    "dnsd_zone_records"};
	static const char *const helps[] = {
	    "SOA serial of the zone's served version.",
	    "Records in the zone's served version."};

	mx_header(b, "dnsd_zones", "Zones served.", "gauge");
	evbuffer_add_printf(b, "dnsd_zones %zu\n", n);
	for (unsigned k = 0; k < 2; k++) {
		mx_header(b, names[k], helps[k], "gauge");
		for (size_t i = 0; i < n; i++) {
			const dnsd_zone *z = dnsd_zonedb_at(db, i);
			if (dnsd_zone_servfail(z))
				continue; /* expired: no version served */
			log_zone(dnsd_zone_origin(z), zone, sizeof(zone));
			mx_label1(b, names[k], "zone", zone);
			evbuffer_add_printf(
			    b, "%llu\n",
			    k == 0 ? (unsigned long long)dnsd_zone_serial(z)
			           : (unsigned long long)dnsd_zone_record_count(
			                 z));
		}
	}
}

static void mx_render_process(struct evbuffer *b, dnsd_server *s, time_t now)
{
	struct dnsd_metrics *x = s->metrics;

	mx_header(b, "dnsd_build_info", "The version and role running.",
	          "gauge");
	evbuffer_add_printf(b,
	                    "dnsd_build_info{version=\"%s\",role=\"%s\"} 1\n",
	                    DNSD_VERSION, s->role ? s->role->name : "");
	mx_header(b, "dnsd_start_time_seconds",
	          "When the process started, unix seconds.", "gauge");
	evbuffer_add_printf(b, "dnsd_start_time_seconds %lld\n",
	                    (long long)x->start);
	mx_header(b, "dnsd_uptime_seconds",
	          "Seconds since the process started.", "gauge");
	evbuffer_add_printf(b, "dnsd_uptime_seconds %lld\n",
	                    (long long)(now - x->start));
	mx_header(b, "dnsd_snapshot_generation",
	          "Zone databases published since the start.", "gauge");
	evbuffer_add_printf(b, "dnsd_snapshot_generation %llu\n",
	                    (unsigned long long)atomic_load(&s->gen));
	mx_header(b, "dnsd_transfers_out_running",
	          "Outgoing zone transfers in progress.", "gauge");
	evbuffer_add_printf(b, "dnsd_transfers_out_running %u\n",
	                    atomic_load(&s->transfers));
	mx_header(b, "dnsd_workers", "Query worker threads.", "gauge");
	evbuffer_add_printf(b, "dnsd_workers %u\n", s->nworkers);
}

/* Every block summed (the workers' and the main loop's) into sum, the
 * requests then counted by transport and family, and the responses by
 * rcode, past the slots. */
static void mx_sum(dnsd_server *s, uint64_t *sum)
{
	memset(sum, 0, sizeof(uint64_t) * MX_NVALUES);
	for (unsigned w = 0; w <= s->nworkers; w++) {
		dnsd_counters *c = w < s->nworkers ? &s->workers[w].counters
		                                   : &s->main_counters;
		for (unsigned i = 0; i < DNSD_MX_NSLOTS; i++)
			sum[i] += atomic_load_explicit(&c->slot[i],
			                               memory_order_relaxed);
	}
	for (unsigned tf = 0; tf < DNSD_MX_NTRANSPORT * DNSD_MX_NFAMILY; tf++)
		for (unsigned rc = 0; rc < 17; rc++) {
			uint64_t v = sum[DNSD_MX_REQUESTS + tf * 17 + rc];
			sum[MX_QUERIES + tf] += v;
			if (rc < 16)
				sum[MX_RESPONSES + rc] += v;
		}
	for (unsigned rc = 0; rc < 16; rc++)
		sum[MX_RESPONSES + rc] += sum[DNSD_MX_RCODE_LATER + rc];
}

static void mx_render(struct evbuffer *b, dnsd_server *s)
{
	uint64_t sum[MX_NVALUES];
	time_t now = time(NULL);

	mx_sum(s, sum);
	mx_render_process(b, s, now);
	for (size_t i = 0; i < sizeof(mx_counters) / sizeof(mx_counters[0]);
	     i++)
		mx_render_counter(b, &mx_counters[i], sum);
	mx_render_sizes(b, sum);
	mx_render_zones(b, s);
	mx_render_registry(b, s->metrics, now);
}

/* ---- HTTP -------------------------------------------------------------- */

static void mx_http_cb(struct evhttp_request *req, void *arg)
{
	dnsd_server *s = arg;
	const char *path =
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	mx_render(b, s);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type",
	                  "text/plain; version=0.0.4; "
	                  "charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static int mx_socket(const dnsd_listen_addr *a)
{
	int fd = socket(a->ss.ss_family,
	                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    (a->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int dnsd_metrics_start(dnsd_server *s)
{
	struct dnsd_metrics *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return -1;
	x->tail = &x->series;
	x->start = time(NULL);
	s->metrics = x;
	if (!s->cfg->metrics_set)
		return 0;
	const dnsd_listen_addr *a = &s->cfg->metrics_listen;
	int fd = mx_socket(a);
	if (fd < 0) {
		log_warn("metrics-listen %s: cannot listen", a->text);
		return -1;
	}
	x->http = evhttp_new(s->base);
	if (x->http == NULL ||
	    evhttp_accept_socket_with_handle(x->http, fd) == NULL) {
		log_error("metrics-listen %s: cannot serve HTTP", a->text);
		close(fd);
		return -1;
	}
	evhttp_set_allowed_methods(x->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(x->http, 10);
	evhttp_set_max_headers_size(x->http, 8192);
	evhttp_set_max_body_size(x->http, 0);
	evhttp_set_gencb(x->http, mx_http_cb, s);
	log_info("metrics: serving http://%s/metrics", a->text);
	return 0;
}

void dnsd_metrics_stop(dnsd_server *s)
{
	struct dnsd_metrics *x = s->metrics;

	if (x == NULL)
		return;
	if (x->http != NULL)
		evhttp_free(x->http);
	while (x->series != NULL) {
		struct mx_series *e = x->series;
		x->series = e->next;
		free(e->label);
		free(e);
	}
	free(x);
	s->metrics = NULL;
}

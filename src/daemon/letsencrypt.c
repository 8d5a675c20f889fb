/* The letsencrypt role: a hidden secondary (replica.h) that turns
 * certificate requests published in DNS into certificates from an ACME
 * CA (RFC 8555), with DNS-01 challenges written to the primary by
 * UPDATE (updclient.h), and publishes them back.
 *
 * Hidden: every query is REFUSED (role.h `hidden`); the listeners take
 * the primary's NOTIFYs, which is all they are for.
 *
 * In DNS (DESIGN.md): at `_letsencrypt._tcp.HOST`, TLSA `3 255 0 CSR`
 * asks for a certificate, `3 0 0 CERT` is the end-entity certificate,
 * `2 0 0 CERT` its CA certificates. Each new version of a zone is
 * scanned for such names (requests). A request is served when a `3 0 0`
 * certificate has the CSR's key and names and is not due for renewal
 * (ARI's window when the CA has one, else the last third of its
 * lifetime); else it is ordered, once per CSR, unless its CSR does not
 * verify, names a name outside the zones the update key may change, or
 * shares the name with another CSR (logged, skipped).
 *
 * An order: newOrder with every name of the CSR; per authorization the
 * dns-01 TXT value added at _acme-challenge.NAME (by value, so a
 * wildcard and its apex coexist), waited for at the primary and every
 * NS of the zone, then the challenge answered; the order polled until
 * ready, finalized with the CSR as published, polled until valid, the
 * chain downloaded; one UPDATE replaces the 3 0 0 and 2 0 0 records
 * under the prerequisite that the RRset (the CSR among it) is still
 * what was ordered for; the TXT values deleted again, on success and on
 * failure. Failures back off per request (1 min doubling, 1 day at
 * most); what is in flight is kept in WORKDIR/letsencrypt.state so a
 * restart resumes the order rather than making a second one. */
#include "acmeclient.h"
#include "log.h"
#include "replica.h"
#include "role.h"
#include "updclient.h"

#include <dnsd/certreq.h>
#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/rrtype.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LE_BACKOFF_FIRST 60    /* s after a first failure */
#define LE_BACKOFF_MAX   86400 /* s at most */
#define LE_WAIT_DNS      60    /* s a challenge may take to reach the NS */
#define LE_TXT_TTL       60
#define LE_TARGETS_MAX   16
#define LE_ARI_AGAIN     21600 /* s: renewalInfo asked again, no Retry-After */
#define LE_ARI_FAILED    3600  /* s: asked again after a failure */

static const uint8_t le_label1[] = "\014_letsencrypt";
static const uint8_t le_label2[] = "\004_tcp";

enum le_state {
	LE_IDLE,    /* nothing to do, or waiting for the next try */
	LE_RUNNING, /* an order in flight */
};

/* A dns-01 challenge of an order: its TXT record and where it goes. */
struct le_chal {
	uint8_t owner[DNSD_NAME_MAX]; /* _acme-challenge.NAME */
	uint8_t zone[DNSD_NAME_MAX];
	char txt[DNSD_ACME_B64_SHA256 + 1];
	char *url;
	bool published;
};

struct le_req {
	struct le *le;
	struct le_req *next;
	uint8_t owner[DNSD_NAME_MAX]; /* _letsencrypt._tcp.HOST */
	uint8_t zone[DNSD_NAME_MAX];
	char text[DNSD_NAME_TEXT_MAX]; /* owner, for logs */
	/* as seen in the zone */
	uint8_t *csr;
	size_t csr_len;
	char id[17]; /* the CSR's SHA-256, 8 octets in hex: the request */
	dnsd_csr parsed;
	uint32_t ttl;
	uint8_t **rdata; /* the whole TLSA RRset, for the prerequisite */
	uint16_t *rdlen;
	size_t nrr;
	bool bad;      /* its CSR is never ordered (logged once) */
	bool seen;     /* in the last scan of its zone */
	bool awaiting; /* published: waiting for the zone to show it */
	/* the order */
	enum le_state state;
	unsigned failures;
	time_t next_try;
	char *order_url; /* in flight: resumed after a restart */
	char last_error[300];
	struct le_chal *ch;
	size_t nch, ich;
	struct event *timer;
	upd_send *upd;
	upd_wait *wait;
	acmeclient_op *op;
	size_t iauthz;
	struct event *poll;
	unsigned polls, nwait;
	char **authz; /* the order's authorizations, finalize, certificate */
	size_t nauthz;
	char *finalize, *cert_url;
	dnsd_acme_chain chain;
	/* ARI (RFC 9773) of the certificate held */
	uint8_t ari_cert[32];      /* SHA-256 of the certificate it is for */
	bool ari_have;             /* ari_at and ari_next are for ari_cert */
	time_t ari_at;             /* renew from (a point of the window); 0: no
	                              window, the last third applies */
	time_t ari_next;           /* renewalInfo asked again from */
	time_t ari_start, ari_end; /* the window ari_at was chosen in */
	acmeclient_op *ari_op;
};

struct le {
	dnsd_server *s;
	replica *r;
	acmeclient *acme;
	acmeclient_op *account_op;
	struct event *account_timer;
	struct le_req *reqs;
	char *state_path;
	json_t *saved; /* the state file read at start-up */
	bool stopping;
};

static void le_next(struct le_req *q);
static void le_timer_cb(evutil_socket_t fd, short what, void *arg);
static void le_fail(struct le_req *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void le_save(struct le *le);

static const char *le_rcode(int rcode)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
	return rcode >= 0 && rcode < 11 ? names[rcode] : "an rcode";
}

/* ---- requests in the zones ------------------------------------------------
 */

/* Whether name is _letsencrypt._tcp.HOST; *host then points into it. */
static bool le_owner(const uint8_t *name, const uint8_t **host)
{
	if (name[0] != le_label1[0] ||
	    strncasecmp((const char *)name + 1, (const char *)le_label1 + 1,
	                le_label1[0]) != 0)
		return false;
	const uint8_t *p = name + 1 + name[0];
	if (p[0] != le_label2[0] ||
	    strncasecmp((const char *)p + 1, (const char *)le_label2 + 1,
	                le_label2[0]) != 0)
		return false;
	*host = p + 1 + p[0];
	return (*host)[0] != 0;
}

static struct le_req *le_find(struct le *le, const uint8_t *owner)
{
	for (struct le_req *q = le->reqs; q; q = q->next)
		if (dnsd_name_equal(q->owner, owner))
			return q;
	return NULL;
}

static void le_rrset_clear(struct le_req *q)
{
	for (size_t i = 0; i < q->nrr; i++)
		free(q->rdata[i]);
	free(q->rdata);
	free(q->rdlen);
	q->rdata = NULL;
	q->rdlen = NULL;
	q->nrr = 0;
}

static void le_chals_clear(struct le_req *q)
{
	for (size_t i = 0; i < q->nch; i++)
		free(q->ch[i].url);
	free(q->ch);
	q->ch = NULL;
	q->nch = q->ich = 0;
}

static void le_req_free(struct le_req *q)
{
	upd_send_cancel(q->upd);
	upd_wait_cancel(q->wait);
	acmeclient_cancel(q->op);
	acmeclient_cancel(q->ari_op);
	if (q->timer)
		event_free(q->timer);
	if (q->poll)
		event_free(q->poll);
	for (size_t i = 0; i < q->nauthz; i++)
		free(q->authz[i]);
	free(q->authz);
	free(q->finalize);
	free(q->cert_url);
	le_rrset_clear(q);
	le_chals_clear(q);
	dnsd_csr_clear(&q->parsed);
	dnsd_acme_chain_free(&q->chain);
	free(q->csr);
	free(q->order_url);
	free(q);
}

/* The certificate of the RRset held that has the CSR's key and names
 * and has not expired (the latest, if several): its index, with when
 * the last third of its lifetime starts and its SHA-256; -1 for none. */
static int le_held(const struct le_req *q, time_t now, time_t *third,
                   uint8_t md[32])
{
	time_t best = 0;
	int held = -1;

	for (size_t i = 0; i < q->nrr; i++) {
		const uint8_t *rd = q->rdata[i];
		dnsd_cert c;
		if (q->rdlen[i] < 4 || rd[0] != 3 || rd[1] != 0 || rd[2] != 0 ||
		    dnsd_cert_parse(rd + 3, q->rdlen[i] - 3u, &c) < 0)
			continue;
		if (dnsd_cert_current(&c, &q->parsed, c.not_after, now) &&
		    c.not_after > best) {
			best = c.not_after;
			held = (int)i;
			*third = dnsd_cert_renew_at(&c);
		}
		dnsd_cert_clear(&c);
	}
	if (held >= 0)
		EVP_Digest(q->rdata[held] + 3, q->rdlen[held] - 3u, md, NULL,
		           EVP_sha256(), NULL);
	return held;
}

static void le_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* renewalInfo answered: a point of the suggested window chosen at
 * random (RFC 9773 §4.2), the window past: now; on a failure, or a CA
 * without it, the last third applies until it is asked again. */
static void le_ari_cb(void *ctx, const acmeclient_status *st,
                      const dnsd_acme_renewal *ri)
{
	struct le_req *q = ctx;
	time_t now = time(NULL);
	char a[32], b[32], c[32], buf[600];

	q->ari_op = NULL;
	q->ari_have = true;
	if (st->rc == 0 && ri != NULL) {
		/* the same window keeps the point chosen in it */
		bool same = q->ari_at != 0 && q->ari_start == ri->start &&
		            q->ari_end == ri->end;
		time_t span = ri->end - ri->start;
		if (!same) {
			q->ari_at = ri->start;
			if (span > 1)
				q->ari_at += (time_t)arc4random_uniform(
				    span > UINT32_MAX ? UINT32_MAX
				                      : (uint32_t)span);
			q->ari_start = ri->start;
			q->ari_end = ri->end;
		}
		if (ri->end <= now || q->ari_at < now)
			q->ari_at = now;
		q->ari_next = st->retry_after > now ? st->retry_after
		                                    : now + LE_ARI_AGAIN;
		if (q->ari_next > now + 86400)
			q->ari_next = now + 86400;
		le_time(ri->start, a, sizeof(a));
		le_time(ri->end, b, sizeof(b));
		le_time(q->ari_at, c, sizeof(c));
		(same ? log_debug : log_info)(
		    "letsencrypt %s: ARI window %s to %s, renewal at %s",
		    q->text, a, b, c);
	} else {
		q->ari_at = 0;
		q->ari_next =
		    now + (st->rc == DNSD_ENOTSUP || st->rc == DNSD_ENOTFOUND
		               ? 86400
		               : LE_ARI_FAILED);
		log_warnx("letsencrypt %s: renewalInfo: %s; the last third of "
		          "the certificate's lifetime applies",
		          q->text,
		          acmeclient_status_text(st, buf, sizeof(buf)));
	}
	le_next(q);
}

/* Whether the certificate held is current: before its renewal (ARI's
 * window when the CA has renewalInfo, else its last third). Asks
 * renewalInfo first when it is not known (or stale) for that
 * certificate: true meanwhile, le_next is called again. *wake: when to
 * look again. */
static bool le_current(struct le_req *q, time_t now, time_t *wake)
{
	const dnsd_acme_directory *d = acmeclient_directory(q->le->acme);
	uint8_t md[32];
	time_t third;
	char at[32];

	int held = le_held(q, now, &third, md);
	if (held < 0)
		return false;
	bool ari = d != NULL && d->renewal_info != NULL;
	bool known = q->ari_have && memcmp(q->ari_cert, md, sizeof(md)) == 0;
	if (ari && (!known || now >= q->ari_next)) {
		if (q->ari_op != NULL)
			return true; /* asked: le_ari_cb goes on */
		if (!known)
			q->ari_at = 0; /* another certificate: a new point */
		memcpy(q->ari_cert, md, sizeof(md));
		q->ari_have = false;
		if (acmeclient_renewal_info(q->le->acme, q->rdata[held] + 3,
		                            q->rdlen[held] - 3u, le_ari_cb, q,
		                            &q->ari_op) == 0)
			return true;
		q->ari_op = NULL;
	}
	known = known && q->ari_have && q->ari_at != 0;
	time_t renew = known ? q->ari_at : third;
	if (renew <= now) {
		log_info(
		    "letsencrypt %s (CSR %s): renewal due (%s)", q->text, q->id,
		    known ? "ARI's window" : "the last third of its lifetime");
		return false;
	}
	le_time(renew, at, sizeof(at));
	log_debug("letsencrypt %s: certificate current, renewal from %s (%s)",
	          q->text, at, known ? "ARI" : "last third");
	*wake = renew;
	if (ari && q->ari_have && q->ari_next < renew)
		*wake = q->ari_next;
	return true;
}

/* The update key for zone: an `_update` key covering it, the most
 * specific. False when there is none. */
static bool le_update_key(struct le *le, const uint8_t *zone, dnsd_key *k)
{
	size_t n = dnsd_keystore_count(le->s->keys), best = 0;
	uint8_t pick[DNSD_NAME_MAX];
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		uint8_t name[DNSD_NAME_MAX];
		const uint8_t *kz;
		if (dnsd_keystore_name_at(le->s->keys, i, name) < 0 ||
		    dnsd_key_op(name, &kz) != DNSD_KEY_OP_UPDATE ||
		    !dnsd_key_allows(name, DNSD_KEY_OP_UPDATE, zone))
			continue;
		if (!found || dnsd_name_len(kz) > best) {
			memcpy(pick, name, dnsd_name_len(name));
			best = dnsd_name_len(kz);
			found = true;
		}
	}
	return found && dnsd_keystore_get(le->s->keys, pick, k) == 0;
}

/* The zone of the database that holds name, or NULL. */
static const dnsd_zone *le_zone_of(struct le *le, const uint8_t *name)
{
	const dnsd_zonedb *db = atomic_load(&le->s->db);
	return db ? dnsd_zonedb_find(db, name) : NULL;
}

/* Every name of the CSR in a zone held whose update key covers it. */
static const char *le_names_ok(struct le_req *q, char *why, size_t cap)
{
	for (size_t i = 0; i < q->parsed.nnames; i++) {
		const char *n = q->parsed.names[i];
		uint8_t wire[DNSD_NAME_MAX];
		dnsd_key k;
		const char *t = strncmp(n, "*.", 2) == 0 ? n + 2 : n;
		if (dnsd_name_from_text(t, strlen(t), (const uint8_t *)"",
		                        wire) < 0) {
			snprintf(why, cap, "name %s is no domain name", n);
			return why;
		}
		const dnsd_zone *z = le_zone_of(q->le, wire);
		if (z == NULL) {
			snprintf(why, cap,
			         "name %s is in no zone replicated here", n);
			return why;
		}
		if (!le_update_key(q->le, dnsd_zone_origin(z), &k)) {
			snprintf(
			    why, cap,
			    "name %s is outside the zones an update key may "
			    "change",
			    n);
			return why;
		}
		explicit_bzero(&k, sizeof(k));
	}
	return NULL;
}

/* ---- the state file -------------------------------------------------------
 */

/* What the state file said of this request, if it was for the same CSR:
 * the order in flight, the failures and the next try. */
static void le_restore(struct le *le, struct le_req *q)
{
	json_t *reqs =
	    le->saved ? json_object_get(le->saved, "requests") : NULL;
	size_t i;
	json_t *e;

	json_array_foreach(reqs, i, e)
	{
		const char *owner =
		    json_string_value(json_object_get(e, "owner"));
		const char *id = json_string_value(json_object_get(e, "csr"));
		const char *order =
		    json_string_value(json_object_get(e, "order"));
		const char *err =
		    json_string_value(json_object_get(e, "error"));
		if (owner == NULL || id == NULL ||
		    strcmp(owner, q->text) != 0 || strcmp(id, q->id) != 0)
			continue;
		if (order != NULL && q->order_url == NULL)
			q->order_url = strdup(order);
		q->failures = (unsigned)json_integer_value(
		    json_object_get(e, "failures"));
		q->next_try =
		    (time_t)json_integer_value(json_object_get(e, "next_try"));
		if (err != NULL)
			snprintf(q->last_error, sizeof(q->last_error), "%s",
			         err);
		return;
	}
}

/* WORKDIR/letsencrypt.state, written atomically: every request with its
 * CSR, the order in flight, the failures, the next try, the last error. */
/* The requests by state into the metrics (metrics.h), whenever a state
 * changes (each change is saved). */
static void le_metrics(struct le *le)
{
	static const char *const states[] = {"ordering", "retry_wait", "idle",
	                                     "bad_csr"};
	unsigned n[4] = {0};

	for (struct le_req *q = le->reqs; q; q = q->next) {
		if (q->csr == NULL)
			continue;
		n[q->bad                   ? 3
		  : q->state == LE_RUNNING ? 0
		  : q->failures > 0        ? 1
		                           : 2]++;
	}
	for (unsigned i = 0; i < 4; i++)
		dnsd_metrics_set(le->s, DNSD_M_ACME_ORDERS, states[i], n[i]);
}

static void le_save(struct le *le)
{
	json_t *root = json_object(), *reqs = json_array();
	char tmp[4200];

	le_metrics(le);
	for (struct le_req *q = le->reqs; q; q = q->next) {
		if (q->csr == NULL)
			continue;
		json_t *e = json_object();
		json_object_set_new(e, "owner", json_string(q->text));
		json_object_set_new(e, "csr", json_string(q->id));
		json_object_set_new(e, "order",
		                    q->order_url ? json_string(q->order_url)
		                                 : json_null());
		json_object_set_new(e, "failures", json_integer(q->failures));
		json_object_set_new(e, "next_try",
		                    json_integer((json_int_t)q->next_try));
		json_object_set_new(e, "error", json_string(q->last_error));
		json_array_append_new(reqs, e);
	}
	json_object_set_new(root, "requests", reqs);
	snprintf(tmp, sizeof(tmp), "%s.tmp", le->state_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || json_dumpfd(root, fd, JSON_INDENT(1)) < 0 ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, le->state_path) < 0) {
		log_warn("letsencrypt: cannot write %s", le->state_path);
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	json_decref(root);
}

/* Whether rs holds exactly the records q saw last. */
static bool le_rrset_same(const struct le_req *q, const dnsd_rrset *rs)
{
	dnsd_rr_iter it;
	size_t i = 0;

	dnsd_rrset_iter(rs, &it);
	while (dnsd_rr_next(&it)) {
		if (i >= q->nrr || q->rdlen[i] != it.rdlen ||
		    memcmp(q->rdata[i], it.rdata, it.rdlen) != 0)
			return false;
		i++;
	}
	return i == q->nrr;
}

/* Whether the RRset held has the end-entity certificate der. */
static bool le_rrset_has(const struct le_req *q, const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < q->nrr; i++)
		if (q->rdlen[i] == len + 3 && q->rdata[i][0] == 3 &&
		    q->rdata[i][1] == 0 && q->rdata[i][2] == 0 &&
		    memcmp(q->rdata[i] + 3, der, len) == 0)
			return true;
	return false;
}

/* A request's RRset from a new version: a new CSR starts over. */
static void le_take(struct le *le, const dnsd_zone *z, const dnsd_node *node,
                    const dnsd_rrset *rs)
{
	const uint8_t *owner = dnsd_node_name(node);
	uint8_t lower[DNSD_NAME_MAX];
	const uint8_t *csr = NULL;
	size_t csr_len = 0, ncsr = 0;
	dnsd_rr_iter it;

	memcpy(lower, owner, dnsd_name_len(owner));
	dnsd_name_lower(lower);
	dnsd_rrset_iter(rs, &it);
	while (dnsd_rr_next(&it))
		if (it.rdlen > 3 && it.rdata[0] == 3 && it.rdata[1] == 255 &&
		    it.rdata[2] == 0) {
			csr = it.rdata + 3;
			csr_len = it.rdlen - 3u;
			ncsr++;
		}
	struct le_req *q = le_find(le, lower);
	char text[DNSD_NAME_TEXT_MAX];
	log_name(lower, text, sizeof(text));
	if (ncsr != 1) {
		if (ncsr > 1 && (q == NULL || q->csr != NULL))
			log_warnx("letsencrypt %s: %zu CSRs (TLSA 3 255 0) at "
			          "one name; skipped until one is left",
			          text, ncsr);
		if (q != NULL && q->state == LE_IDLE && ncsr > 1) {
			free(q->csr);
			q->csr = NULL;
		}
		if (q != NULL)
			q->seen = ncsr > 1;
		return;
	}
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			fatalx("out of memory");
		q->le = le;
		memcpy(q->owner, lower, dnsd_name_len(lower));
		snprintf(q->text, sizeof(q->text), "%s", text);
		q->timer = evtimer_new(le->s->base, le_timer_cb, q);
		q->next = le->reqs;
		le->reqs = q;
	}
	q->seen = true;
	memcpy(q->zone, dnsd_zone_origin(z),
	       dnsd_name_len(dnsd_zone_origin(z)));
	q->ttl = rs->ttl;
	if (q->awaiting && !le_rrset_same(q, rs))
		q->awaiting = false; /* the publication (or another change) */
	le_rrset_clear(q);
	dnsd_rrset_iter(rs, &it);
	while (dnsd_rr_next(&it)) {
		q->rdata = realloc(q->rdata, (q->nrr + 1) * sizeof(*q->rdata));
		q->rdlen = realloc(q->rdlen, (q->nrr + 1) * sizeof(*q->rdlen));
		if (q->rdata == NULL || q->rdlen == NULL ||
		    (q->rdata[q->nrr] = malloc(it.rdlen + 1u)) == NULL)
			fatalx("out of memory");
		memcpy(q->rdata[q->nrr], it.rdata, it.rdlen);
		q->rdlen[q->nrr++] = it.rdlen;
	}
	if (q->csr != NULL && q->csr_len == csr_len &&
	    memcmp(q->csr, csr, csr_len) == 0)
		return; /* the same request: its order goes on */
	/* a new CSR: what was known of the old one is moot */
	free(q->csr);
	if ((q->csr = malloc(csr_len)) == NULL)
		fatalx("out of memory");
	memcpy(q->csr, csr, csr_len);
	q->csr_len = csr_len;
	unsigned char md[32];
	unsigned mdlen = 0;
	EVP_Digest(csr, csr_len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 8; i++)
		snprintf(q->id + 2 * i, 3, "%02x", md[i]);
	dnsd_csr_clear(&q->parsed);
	q->bad = false;
	q->failures = 0;
	q->next_try = 0;
	q->last_error[0] = 0;
	if (q->state == LE_IDLE) {
		free(q->order_url);
		q->order_url = NULL;
	}
	le_restore(le, q);
}

/* A new version of a zone (replica_watch): its requests taken in, the
 * ones gone from it dropped, each looked at. */
static void le_zone_cb(void *ctx, dnsd_zone *z)
{
	struct le *le = ctx;
	const uint8_t *origin = dnsd_zone_origin(z);

	for (struct le_req *q = le->reqs; q; q = q->next)
		if (dnsd_name_equal(q->zone, origin))
			q->seen = false;
	for (size_t i = 0; i < dnsd_zone_node_count(z); i++) {
		const dnsd_node *n = dnsd_zone_node_at(z, i);
		const uint8_t *host;
		const dnsd_rrset *rs;
		if (le_owner(dnsd_node_name(n), &host) &&
		    (rs = dnsd_node_rrset(n, DNSD_TYPE_TLSA)) != NULL)
			le_take(le, z, n, rs);
	}
	for (struct le_req **pp = &le->reqs; *pp;) {
		struct le_req *q = *pp;
		if (dnsd_name_equal(q->zone, origin) && !q->seen &&
		    q->state == LE_IDLE) {
			log_info("letsencrypt %s: the request is gone",
			         q->text);
			*pp = q->next;
			le_req_free(q);
			continue;
		}
		pp = &q->next;
		if (dnsd_name_equal(q->zone, origin) && q->state == LE_IDLE &&
		    q->csr != NULL)
			le_next(q);
	}
	le_save(le);
}

/* ---- the order ------------------------------------------------------------
 */

static void le_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	le_next(arg);
}

static void le_at(struct le_req *q, time_t when)
{
	time_t now = time(NULL);
	struct timeval tv = {.tv_sec = when > now ? when - now : 0};
	/* a renewal a year away: the timer need not be that exact */
	if (tv.tv_sec > 86400)
		tv.tv_sec = 86400;
	evtimer_add(q->timer, &tv);
}

/* The request is done with (an order ended, well or not): its TXT
 * values go, then the next look at it is scheduled. */
static void le_cleanup(struct le_req *q);

static void le_fail(struct le_req *q, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q->last_error, sizeof(q->last_error), fmt, ap);
	va_end(ap);
	unsigned delay = LE_BACKOFF_FIRST;
	for (unsigned i = 0; i < q->failures && delay < LE_BACKOFF_MAX; i++)
		delay *= 2;
	if (delay > LE_BACKOFF_MAX)
		delay = LE_BACKOFF_MAX;
	q->failures++;
	q->next_try = time(NULL) + delay;
	dnsd_count(DNSD_MX_ACME_ORDERS + DNSD_MX_FAILED);
	log_warnx("letsencrypt %s (CSR %s): %s; next try in %u s", q->text,
	          q->id, q->last_error, delay);
	/* an order that failed is not resumed: the next try orders anew */
	free(q->order_url);
	q->order_url = NULL;
	q->ich = 0;
	le_cleanup(q);
}

/* An order ended well, or its certificate became moot: no new order
 * until the zone shows what became of the publication (the UPDATE
 * reaches this replica by NOTIFY and IXFR). */
static void le_done(struct le_req *q, bool await)
{
	q->failures = 0;
	q->last_error[0] = 0;
	free(q->order_url);
	q->order_url = NULL;
	q->awaiting = await;
	q->ich = 0;
	le_cleanup(q);
}

/* ---- DNS: the challenges and the publication --------------------------------
 */

/* Sends m to the primary of zone signed with the update key for it.
 * 0, or -1 when there is no primary or key, or it cannot be sent (fn is
 * not called then). */
static int le_send(struct le_req *q, const uint8_t *zone, const upd_msg *m,
                   upd_done_fn fn)
{
	struct le *le = q->le;
	struct sockaddr_storage peer, src;
	socklen_t plen, slen;
	dnsd_key k;

	if (!replica_primary(le->r, zone, &peer, &plen, &src, &slen) ||
	    !le_update_key(le, zone, &k))
		return -1;
	int rc = upd_send_start(le->s->base, (struct sockaddr *)&peer, plen,
	                        slen ? (struct sockaddr *)&src : NULL, slen, &k,
	                        m, fn, q, &q->upd);
	explicit_bzero(&k, sizeof(k));
	return rc < 0 ? -1 : 0;
}

/* A TXT record's RDATA: one string. Its length. */
static uint16_t le_txt_rdata(const char *txt, uint8_t *rd)
{
	size_t len = strlen(txt);
	rd[0] = (uint8_t)len;
	memcpy(rd + 1, txt, len);
	return (uint16_t)(len + 1);
}

static void le_cleanup_done(void *ctx, int rc, int rcode, const char *why);

/* Deletes the TXT values published (one UPDATE each, zones may
 * differ), then goes idle. */
static void le_cleanup(struct le_req *q)
{
	struct le *le = q->le;

	while (q->ich < q->nch && !q->ch[q->ich].published)
		q->ich++;
	if (q->ich >= q->nch || le->stopping) {
		le_chals_clear(q);
		q->state = LE_IDLE;
		le_save(le);
		if (!le->stopping)
			le_next(q);
		return;
	}
	struct le_chal *c = &q->ch[q->ich];
	upd_msg m;
	uint8_t rd[1 + DNSD_ACME_B64_SHA256];

	c->published = false;
	upd_msg_init(&m, c->zone);
	upd_msg_delete(&m, c->owner, DNSD_TYPE_TXT, rd,
	               le_txt_rdata(c->txt, rd));
	if (le_send(q, c->zone, &m, le_cleanup_done) < 0)
		le_cleanup_done(q, DNSD_EIO, 0, "no primary or key, not sent");
	upd_msg_free(&m);
}

static void le_cleanup_done(void *ctx, int rc, int rcode, const char *why)
{
	struct le_req *q = ctx;
	char owner[DNSD_NAME_TEXT_MAX];

	q->upd = NULL;
	log_name(q->ch[q->ich].owner, owner, sizeof(owner));
	if (rc < 0 || rcode != DNSD_RCODE_NOERROR)
		log_warnx("letsencrypt %s: the challenge TXT at %s was not "
		          "deleted (%s)",
		          q->text, owner, rc < 0 ? why : le_rcode(rcode));
	else
		log_info("letsencrypt %s: challenge TXT at %s deleted", q->text,
		         owner);
	q->ich++;
	le_cleanup(q);
}

/* Where a challenge must be seen before the CA is told: the primary
 * first, then the addresses of the zone's NS names (those the zones
 * held give, on port 53, none reserved for documentation). */
static unsigned le_targets(struct le_req *q, const struct le_chal *c,
                           struct sockaddr_storage *t, socklen_t *tl)
{
	struct sockaddr_storage src;
	socklen_t slen;
	unsigned n = 0;

	if (!replica_primary(q->le->r, c->zone, &t[0], &tl[0], &src, &slen))
		return 0;
	n = 1;
	const dnsd_zone *z = le_zone_of(q->le, c->zone);
	const dnsd_rrset *ns =
	    z ? dnsd_node_rrset(dnsd_zone_apex(z), DNSD_TYPE_NS) : NULL;
	dnsd_rr_iter it, at;
	if (ns == NULL)
		return n;
	dnsd_rrset_iter(ns, &it);
	while (dnsd_rr_next(&it) && n < LE_TARGETS_MAX) {
		const dnsd_zone *hz = le_zone_of(q->le, it.rdata);
		const dnsd_node *h = hz ? dnsd_zone_find(hz, it.rdata) : NULL;
		const dnsd_rrset *a =
		    h ? dnsd_node_rrset(h, DNSD_TYPE_A) : NULL;
		if (a == NULL)
			continue;
		dnsd_rrset_iter(a, &at);
		while (dnsd_rr_next(&at) && n < LE_TARGETS_MAX) {
			const uint8_t *v = at.rdata;
			if (at.rdlen != 4 ||
			    (v[0] == 192 && v[1] == 0 && v[2] == 2) ||
			    (v[0] == 198 && v[1] == 51 && v[2] == 100) ||
			    (v[0] == 203 && v[1] == 0 && v[2] == 113))
				continue;
			struct sockaddr_in in = {.sin_family = AF_INET,
			                         .sin_port = htons(53)};
			memcpy(&in.sin_addr, v, 4);
			memset(&t[n], 0, sizeof(t[n]));
			memcpy(&t[n], &in, sizeof(in));
			tl[n++] = sizeof(in);
		}
	}
	return n;
}

static void le_chal_publish(struct le_req *q);
static void le_respond(struct le_req *q);

static void le_chal_seen(void *ctx, unsigned missing)
{
	struct le_req *q = ctx;
	struct le_chal *c = &q->ch[q->ich];
	char owner[DNSD_NAME_TEXT_MAX];

	q->wait = NULL;
	log_name(c->owner, owner, sizeof(owner));
	if (missing >= q->nwait) {
		le_fail(q,
		        "the primary does not serve the challenge TXT at %s "
		        "after %u s",
		        owner, LE_WAIT_DNS);
		return;
	}
	if (missing > 0)
		log_warnx("letsencrypt %s: the challenge TXT at %s is not on "
		          "%u of its name servers after %u s; telling the CA "
		          "anyway",
		          q->text, owner, missing, LE_WAIT_DNS);
	else
		log_info("letsencrypt %s: challenge TXT at %s served by the "
		         "primary and the zone's name servers",
		         q->text, owner);
	q->ich++;
	le_chal_publish(q);
}

static void le_chal_added(void *ctx, int rc, int rcode, const char *why)
{
	struct le_req *q = ctx;
	struct le_chal *c = &q->ch[q->ich];
	char owner[DNSD_NAME_TEXT_MAX];
	struct sockaddr_storage t[LE_TARGETS_MAX];
	socklen_t tl[LE_TARGETS_MAX];
	uint8_t rd[1 + DNSD_ACME_B64_SHA256];

	q->upd = NULL;
	log_name(c->owner, owner, sizeof(owner));
	if (rc < 0 || rcode != DNSD_RCODE_NOERROR) {
		le_fail(q, "the UPDATE adding the challenge TXT at %s: %s",
		        owner, rc < 0 ? why : le_rcode(rcode));
		return;
	}
	c->published = true;
	log_info("letsencrypt %s: challenge TXT added at %s", q->text, owner);
	unsigned n = le_targets(q, c, t, tl);
	q->nwait = n;
	uint16_t rdlen = le_txt_rdata(c->txt, rd);
	if (n == 0 || upd_wait_start(q->le->s->base, t, tl, n, c->owner,
	                             DNSD_TYPE_TXT, rd, rdlen, LE_WAIT_DNS,
	                             le_chal_seen, q, &q->wait) < 0)
		le_fail(q, "cannot check the challenge TXT at %s", owner);
}

/* The next challenge's TXT, added by value; after the last one the CA
 * is told. */
static void le_chal_publish(struct le_req *q)
{

	if (q->ich >= q->nch) {
		q->ich = 0;
		le_respond(q);
		return;
	}
	struct le_chal *c = &q->ch[q->ich];
	upd_msg m;
	uint8_t rd[1 + DNSD_ACME_B64_SHA256];
	char owner[DNSD_NAME_TEXT_MAX];

	log_name(c->owner, owner, sizeof(owner));
	upd_msg_init(&m, c->zone);
	upd_msg_add(&m, c->owner, DNSD_TYPE_TXT, LE_TXT_TTL, rd,
	            le_txt_rdata(c->txt, rd));
	if (le_send(q, c->zone, &m, le_chal_added) < 0)
		le_fail(q,
		        "the UPDATE adding the challenge TXT at %s: no "
		        "primary or update key, or not sent",
		        owner);
	upd_msg_free(&m);
}

static void le_published(void *ctx, int rc, int rcode, const char *why)
{
	struct le_req *q = ctx;

	q->upd = NULL;
	if (rc == 0 && rcode == DNSD_RCODE_NXRRSET) {
		log_warnx("letsencrypt %s (CSR %s): the request changed while "
		          "it was ordered; the certificate is not published",
		          q->text, q->id);
		le_done(q, false);
		return;
	}
	if (rc < 0 || rcode != DNSD_RCODE_NOERROR) {
		le_fail(q, "the UPDATE publishing the certificate: %s",
		        rc < 0 ? why : le_rcode(rcode));
		return;
	}
	dnsd_cert c;
	if (dnsd_cert_parse(q->chain.certs[0].der, q->chain.certs[0].len, &c) ==
	    0) {
		char until[32];
		struct tm tm;
		gmtime_r(&c.not_after, &tm);
		dnsd_count(DNSD_MX_ACME_ORDERS + DNSD_MX_OK);
		dnsd_metrics_set(q->le->s, DNSD_M_CERT_EXPIRY, q->text,
		                 (double)c.not_after);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
		log_info("letsencrypt %s (CSR %s): certificate published, %zu "
		         "names, valid until %s, %zu CA certificate%s",
		         q->text, q->id, c.nnames, until, q->chain.n - 1,
		         q->chain.n == 2 ? "" : "s");
		dnsd_cert_clear(&c);
	}
	/* the new version may have come in before this answer */
	bool seen =
	    le_rrset_has(q, q->chain.certs[0].der, q->chain.certs[0].len);
	dnsd_acme_chain_free(&q->chain);
	le_done(q, !seen);
}

/* One UPDATE: the certificate and its CA certificates replace those at
 * the name, if the RRset (the CSR in it) is still the one ordered for. */
static void le_publish(struct le_req *q)
{
	upd_msg m;
	int rc = 0;

	upd_msg_init(&m, q->zone);
	for (size_t i = 0; i < q->nrr && rc == 0; i++)
		rc = upd_msg_prereq_rr(&m, q->owner, DNSD_TYPE_TLSA,
		                       q->rdata[i], q->rdlen[i]);
	for (size_t i = 0; i < q->nrr && rc == 0; i++)
		if (q->rdlen[i] >= 3 && q->rdata[i][1] == 0 &&
		    q->rdata[i][2] == 0 &&
		    (q->rdata[i][0] == 3 || q->rdata[i][0] == 2))
			rc = upd_msg_delete(&m, q->owner, DNSD_TYPE_TLSA,
			                    q->rdata[i], q->rdlen[i]);
	for (size_t i = 0; i < q->chain.n && rc == 0; i++) {
		size_t len = q->chain.certs[i].len + 3;
		uint8_t *rd = malloc(len);
		if (rd == NULL || len > 65535) {
			free(rd);
			rc = DNSD_ESPACE;
			break;
		}
		rd[0] = i == 0 ? 3 : 2;
		rd[1] = rd[2] = 0;
		memcpy(rd + 3, q->chain.certs[i].der, q->chain.certs[i].len);
		rc = upd_msg_add(&m, q->owner, DNSD_TYPE_TLSA, q->ttl, rd,
		                 (uint16_t)len);
		free(rd);
	}
	if (rc == 0 && le_send(q, q->zone, &m, le_published) < 0)
		rc = DNSD_EIO;
	upd_msg_free(&m);
	if (rc < 0)
		le_fail(q, "the UPDATE publishing the certificate: %s",
		        rc == DNSD_EIO ? "no primary or update key, or not sent"
		                       : dnsd_strerror(rc));
}

/* ---- ACME ------------------------------------------------------------------
 */

static void le_order_cb(void *ctx, const acmeclient_status *st, const char *url,
                        const dnsd_acme_order *o);

/* A failed step, for the log: the HTTP status, the problem's type and
 * detail. */
static void le_fail_acme(struct le_req *q, const char *step,
                         const acmeclient_status *st)
{
	char buf[600];
	le_fail(q, "%s: %s", step,
	        acmeclient_status_text(st, buf, sizeof(buf)));
}

static void le_cert_cb(void *ctx, const acmeclient_status *st,
                       const dnsd_acme_chain *chain)
{
	struct le_req *q = ctx;

	q->op = NULL;
	if (st->rc < 0 || chain == NULL || chain->n == 0) {
		le_fail_acme(q, "downloading the certificate", st);
		return;
	}
	dnsd_acme_chain_free(&q->chain);
	q->chain.certs = calloc(chain->n, sizeof(*q->chain.certs));
	if (q->chain.certs == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < chain->n; i++) {
		q->chain.certs[i].der = malloc(chain->certs[i].len);
		if (q->chain.certs[i].der == NULL)
			fatalx("out of memory");
		memcpy(q->chain.certs[i].der, chain->certs[i].der,
		       chain->certs[i].len);
		q->chain.certs[i].len = chain->certs[i].len;
		q->chain.n++;
	}
	le_publish(q);
}

static void le_chal_cb(void *ctx, const acmeclient_status *st,
                       const dnsd_acme_challenge *c)
{
	struct le_req *q = ctx;

	(void)c;
	q->op = NULL;
	if (st->rc < 0) {
		le_fail_acme(q, "answering the challenge", st);
		return;
	}
	q->ich++;
	le_respond(q);
}

/* Tells the CA, challenge by challenge, then waits for the order to be
 * ready (the CA validates meanwhile). */
static void le_respond(struct le_req *q)
{
	struct le *le = q->le;

	if (q->ich >= q->nch) {
		if (acmeclient_poll_order(le->acme, q->order_url,
		                          DNSD_ACME_BIT(DNSD_ACME_READY) |
		                              DNSD_ACME_BIT(DNSD_ACME_VALID),
		                          300, le_order_cb, q, &q->op) < 0)
			le_fail(q, "polling the order: not sent");
		return;
	}
	if (acmeclient_respond(le->acme, q->ch[q->ich].url, le_chal_cb, q,
	                       &q->op) < 0)
		le_fail(q, "answering the challenge: not sent");
}

static void le_authz_next(struct le_req *q, size_t i);

static void le_authz_cb(void *ctx, const acmeclient_status *st,
                        const dnsd_acme_authz *a)
{
	struct le_req *q = ctx;
	size_t i = q->iauthz;

	q->op = NULL;
	if (st->rc < 0 || a == NULL) {
		le_fail_acme(q, "fetching an authorization", st);
		return;
	}
	if (a->status == DNSD_ACME_VALID) {
		le_authz_next(q, i + 1);
		return;
	}
	const dnsd_acme_challenge *c = dnsd_acme_authz_challenge(a, "dns-01");
	if (a->status != DNSD_ACME_PENDING || c == NULL || c->token == NULL) {
		le_fail(q, "the authorization of %s is %s%s", a->id.value,
		        dnsd_acme_status_name(a->status),
		        c == NULL ? " and offers no dns-01 challenge" : "");
		return;
	}
	char name[DNSD_CERTREQ_NAME_MAX + 20];
	struct le_chal *ch = realloc(q->ch, (q->nch + 1) * sizeof(*ch));
	if (ch == NULL)
		fatalx("out of memory");
	q->ch = ch;
	ch = &q->ch[q->nch];
	memset(ch, 0, sizeof(*ch));
	snprintf(name, sizeof(name), "_acme-challenge.%s", a->id.value);
	const dnsd_zone *z = NULL;
	if (dnsd_name_from_text(name, strlen(name), (const uint8_t *)"",
	                        ch->owner) < 0 ||
	    (z = le_zone_of(q->le, ch->owner)) == NULL ||
	    acmeclient_dns01_value(q->le->acme, c->token, ch->txt) < 0 ||
	    (ch->url = strdup(c->url)) == NULL) {
		le_fail(q, "the challenge of %s cannot be answered here",
		        a->id.value);
		return;
	}
	dnsd_name_lower(ch->owner);
	memcpy(ch->zone, dnsd_zone_origin(z),
	       dnsd_name_len(dnsd_zone_origin(z)));
	q->nch++;
	le_authz_next(q, i + 1);
}

/* The authorizations of the order, one after the other; then the TXT
 * records of those still pending. */
static void le_authz_next(struct le_req *q, size_t i)
{
	if (i >= q->nauthz) {
		q->ich = 0;
		if (q->nch == 0) /* all valid already: on to finalize */
			le_respond(q);
		else
			le_chal_publish(q);
		return;
	}
	q->iauthz = i;
	if (acmeclient_get_authz(q->le->acme, q->authz[i], le_authz_cb, q,
	                         &q->op) < 0)
		le_fail(q, "fetching an authorization: not sent");
}

static void le_order_copy(struct le_req *q, const dnsd_acme_order *o)
{
	for (size_t i = 0; i < q->nauthz; i++)
		free(q->authz[i]);
	free(q->authz);
	q->authz = calloc(o->nauthz + 1, sizeof(*q->authz));
	if (q->authz == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < o->nauthz; i++)
		if ((q->authz[i] = strdup(o->authz[i])) == NULL)
			fatalx("out of memory");
	q->nauthz = o->nauthz;
	free(q->finalize);
	free(q->cert_url);
	q->finalize = o->finalize ? strdup(o->finalize) : NULL;
	q->cert_url = o->certificate ? strdup(o->certificate) : NULL;
}

/* Where an order stands decides the next step. */
static void le_order_cb(void *ctx, const acmeclient_status *st, const char *url,
                        const dnsd_acme_order *o)
{
	struct le_req *q = ctx;
	struct le *le = q->le;

	q->op = NULL;
	if (st->rc < 0 || o == NULL) {
		le_fail_acme(q, q->order_url ? "the order" : "newOrder", st);
		return;
	}
	if (url != NULL && q->order_url == NULL) {
		q->order_url = strdup(url);
		log_info("letsencrypt %s (CSR %s): order %s for %zu name%s",
		         q->text, q->id, url, q->parsed.nnames,
		         q->parsed.nnames == 1 ? "" : "s");
		le_save(le);
	}
	le_order_copy(q, o);
	int rc = 0;
	switch (o->status) {
	case DNSD_ACME_PENDING:
		le_authz_next(q, 0);
		return;
	case DNSD_ACME_READY:
		rc = acmeclient_finalize(le->acme, q->order_url, q->finalize,
		                         q->csr, q->csr_len, le_order_cb, q,
		                         &q->op);
		break;
	case DNSD_ACME_PROCESSING:
		rc = acmeclient_poll_order(le->acme, q->order_url,
		                           DNSD_ACME_BIT(DNSD_ACME_VALID), 300,
		                           le_order_cb, q, &q->op);
		break;
	case DNSD_ACME_VALID:
		if (q->cert_url == NULL)
			rc = DNSD_EINVAL;
		else
			rc = acmeclient_certificate(le->acme, q->cert_url,
			                            le_cert_cb, q, &q->op);
		break;
	default:
		le_fail_acme(q, "the order is invalid", st);
		return;
	}
	if (rc < 0)
		le_fail(q, "the order (%s): %s",
		        dnsd_acme_status_name(o->status), dnsd_strerror(rc));
}

/* The ARI CertID of the certificate at the name with the CSR's key (the
 * one a renewal replaces), NULL when there is none. */
static char *le_replaces(const struct le_req *q)
{
	for (size_t i = 0; i < q->nrr; i++) {
		const uint8_t *rd = q->rdata[i];
		dnsd_cert c;
		char *id = NULL;
		if (q->rdlen[i] < 4 || rd[0] != 3 || rd[1] != 0 || rd[2] != 0 ||
		    dnsd_cert_parse(rd + 3, q->rdlen[i] - 3u, &c) < 0)
			continue;
		bool ours = c.spki_len == q->parsed.spki_len &&
		            memcmp(c.spki, q->parsed.spki, c.spki_len) == 0;
		dnsd_cert_clear(&c);
		if (ours &&
		    dnsd_acme_ari_certid(rd + 3, q->rdlen[i] - 3u, &id) == 0)
			return id;
	}
	return NULL;
}

/* What a request needs now: nothing (served, or waiting for its next
 * try), or an order. */
static void le_next(struct le_req *q)
{
	struct le *le = q->le;
	char why[300];

	if (q->state != LE_IDLE || q->csr == NULL || le->stopping ||
	    q->awaiting || q->bad)
		return;
	if (q->parsed.names == NULL) {
		int rc = dnsd_csr_parse(q->csr, q->csr_len, &q->parsed);
		if (rc < 0) {
			log_warnx("letsencrypt %s (CSR %s): the CSR %s (%s); "
			          "never ordered",
			          q->text, q->id,
			          rc == DNSD_EDENIED
			              ? "signature does not verify"
			              : "is not usable",
			          dnsd_strerror(rc));
			q->bad = true;
			return;
		}
		if (le_names_ok(q, why, sizeof(why)) != NULL) {
			log_warnx("letsencrypt %s (CSR %s): %s; never ordered",
			          q->text, q->id, why);
			dnsd_csr_clear(&q->parsed);
			q->bad = true;
			return;
		}
	}
	time_t wake = 0;
	if (le_current(q, time(NULL), &wake)) {
		if (wake != 0)
			le_at(q, wake);
		return;
	}
	if (acmeclient_account_url(le->acme) == NULL) {
		le_at(q, time(NULL) + 1); /* the account first */
		return;
	}
	if (q->next_try > time(NULL)) {
		le_at(q, q->next_try);
		return;
	}
	q->state = LE_RUNNING;
	q->polls = 0;
	le_chals_clear(q);
	int rc;
	if (q->order_url != NULL) {
		log_info("letsencrypt %s (CSR %s): resuming order %s", q->text,
		         q->id, q->order_url);
		rc = acmeclient_get_order(le->acme, q->order_url, le_order_cb,
		                          q, &q->op);
	} else {
		/* a renewal names the certificate it replaces (ARI; left
		 * out by the client when the CA has no renewalInfo) */
		/* the client leaves replaces out when the CA has no ARI */
		const dnsd_acme_directory *d = acmeclient_directory(le->acme);
		char *replaces = d && d->renewal_info ? le_replaces(q) : NULL;
		const char *profile = le->s->cfg->acme_profile;
		log_info(
		    "letsencrypt %s (CSR %s): newOrder for %zu name%s%s%s%s%s",
		    q->text, q->id, q->parsed.nnames,
		    q->parsed.nnames == 1 ? "" : "s",
		    profile ? ", profile " : "", profile ? profile : "",
		    replaces ? ", replaces " : "", replaces ? replaces : "");
		rc = acmeclient_new_order(le->acme,
		                          (const char *const *)q->parsed.names,
		                          q->parsed.nnames, replaces, profile,
		                          le_order_cb, q, &q->op);
		free(replaces);
	}
	if (rc < 0)
		le_fail(q, "newOrder: not sent (%s)", dnsd_strerror(rc));
}

/* ---- the role --------------------------------------------------------------
 */

static void le_account_cb(void *ctx, const acmeclient_status *st,
                          const char *url, bool created)
{
	struct le *le = ctx;
	char buf[600];

	le->account_op = NULL;
	if (st->rc < 0) {
		struct timeval tv = {.tv_sec = 60};
		log_error("letsencrypt: the ACME account at %s: %s; trying "
		          "again in 60 s",
		          le->s->cfg->acme_directory,
		          acmeclient_status_text(st, buf, sizeof(buf)));
		evtimer_add(le->account_timer, &tv);
		return;
	}
	log_info("letsencrypt: ACME account %s (%s)", url,
	         created ? "created" : "found again");
	for (struct le_req *q = le->reqs; q; q = q->next)
		le_next(q);
}

static void le_account_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct le *le = arg;

	(void)fd;
	(void)what;
	if (le->account_op == NULL &&
	    acmeclient_account(le->acme, le_account_cb, le, &le->account_op) <
	        0)
		le->account_op = NULL;
}

static int le_start(dnsd_server *s, void **state)
{
	struct le *le = calloc(1, sizeof(*le));
	char path[4096], key[4096], why[300], kid[512] = "";
	const char *hmac = NULL;

	*state = le;
	if (le == NULL)
		return -1;
	le->s = s;
	snprintf(path, sizeof(path), "%s/letsencrypt.state", s->cfg->workdir);
	snprintf(key, sizeof(key), "%s/acme-account.key", s->cfg->workdir);
	if ((le->state_path = strdup(path)) == NULL)
		return -1;
	json_error_t jerr;
	le->saved = json_load_file(path, 0, &jerr);
	if (le->saved == NULL && access(path, F_OK) == 0)
		log_warnx("letsencrypt: %s: %s (line %d); starting afresh",
		          path, jerr.text, jerr.line);
	if (s->cfg->acme_eab != NULL) {
		const char *colon = strchr(s->cfg->acme_eab, ':');
		snprintf(kid, sizeof(kid), "%.*s",
		         (int)(colon - s->cfg->acme_eab), s->cfg->acme_eab);
		hmac = colon + 1;
	}
	acmeclient_opts ao = {
	    .directory = s->cfg->acme_directory,
	    .ca_file = s->cfg->acme_ca_file,
	    .key_file = key,
	    .email = s->cfg->acme_email,
	    .key_type = s->cfg->acme_key_type,
	    .eab_kid = hmac ? kid : NULL,
	    .eab_hmac = hmac,
	    .allow_http = strncmp(s->cfg->acme_directory, "http://", 7) == 0,
	};
	if (acmeclient_new(s->base, &ao, &le->acme, why, sizeof(why)) < 0) {
		log_error("letsencrypt: %s", why);
		return -1;
	}
	if ((le->account_timer =
	         evtimer_new(s->base, le_account_timer_cb, le)) == NULL)
		return -1;
	event_active(le->account_timer, EV_TIMEOUT, 0);
	if (replica_start(s, &le->r) < 0)
		return -1;
	replica_watch(le->r, le_zone_cb, le);
	log_info("letsencrypt: ACME directory %s", s->cfg->acme_directory);
	return 0;
}

static int le_check(const dnsd_config *cfg)
{
	int rc = replica_check(cfg);
	if (cfg->acme_directory == NULL) {
		fprintf(stderr, "letsencrypt: no acme-directory\n");
		rc = -1;
	}
	if (rc == 0)
		printf("ACME directory %s, account key %s/acme-account.key "
		       "(%s when created), profile %s\n",
		       cfg->acme_directory, cfg->workdir,
		       cfg->acme_key_type ? cfg->acme_key_type : "ec256",
		       cfg->acme_profile ? cfg->acme_profile
		                         : "the CA's default");
	return rc;
}

static size_t le_notify(dnsd_server *s, void *state, dnsd_request *r,
                        uint8_t *out, size_t cap)
{
	struct le *le = state;
	(void)s;
	return replica_notify(le->r, r, out, cap);
}

static int le_reload(dnsd_server *s, void *state)
{
	struct le *le = state;
	(void)s;
	return replica_reload(le->r);
}

static void le_stop(dnsd_server *s, void *state)
{
	struct le *le = state;

	(void)s;
	if (le == NULL)
		return;
	le->stopping = true;
	if (le->reqs != NULL)
		le_save(le);
	while (le->reqs != NULL) {
		struct le_req *q = le->reqs;
		le->reqs = q->next;
		le_req_free(q);
	}
	acmeclient_free(le->acme); /* the account op with it */
	if (le->account_timer)
		event_free(le->account_timer);
	replica_stop(le->r);
	json_decref(le->saved);
	free(le->state_path);
	free(le);
}

const dnsd_role dnsd_role_letsencrypt = {
    .name = "letsencrypt",
    .hidden = true, /* REFUSED to every query: NOTIFY only */
    .on_start = le_start,
    .on_check = le_check,
    .on_notify = le_notify,
    .on_update = NULL,
    .on_ixfr = NULL,
    .on_reload = le_reload,
    .on_stop = le_stop,
};

/* The ACME client (acmeclient.h), in three layers: HTTP requests on
 * libcurl's multi interface with its sockets and timer as libevent
 * events; signed POSTs with the nonce pool and the retries; and the
 * calls, each an op that steps from one response to the next request
 * and ends by handing its result to the caller from an event of its
 * own. */
#include "acmeclient.h"
#include "log.h"

#include <dnsd/certreq.h>
#include <dnsd/err.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONCE_POOL     8
#define NONCE_FETCHES  3  /* newNonce HEADs one request may need */
#define RETRY_TRIES    3  /* 429/503 retried after a short Retry-After */
#define POLL_MAX_DELAY 10 /* seconds between two polls, at most */
#define KEY_FILE_MAX   (64 * 1024)
#define DETAIL_MAX     512
#define ACME_JOSE      "Content-Type: application/jose+json"
#define ACME_PEM_CHAIN "Accept: application/pem-certificate-chain"

typedef struct sockev {
	struct event *ev;
	struct sockev *prev, *next;
} sockev;

struct acmeclient {
	struct event_base *base;
	CURLM *multi;
	struct event *timer; /* libcurl's timeout */
	sockev *socks;       /* the sockets libcurl watches */
	EVP_PKEY *key;
	char thumb[DNSD_ACME_B64_SHA256 + 1];
	char *directory_url, *ca_file, *email, *eab_kid;
	uint8_t eab_mac[256];
	size_t eab_len;
	unsigned timeout, max_retry_wait;
	bool allow_http;
	dnsd_acme_directory dir;
	bool have_dir;
	char *account_url;
	char *nonces[NONCE_POOL];
	size_t nnonces;
	acmeclient_op *ops; /* calls in flight */
};

/* One response, as the steps see it. */
typedef struct resp {
	int curl; /* CURLE_OK or the transport error */
	const char *curl_err;
	long status; /* HTTP status */
	const char *body;
	size_t len;
	const char *location;      /* NULL when absent */
	long retry_after;          /* seconds, 0 when absent */
	dnsd_acme_problem problem; /* parsed for a status >= 400 */
	bool has_problem;
} resp;

typedef void (*step_fn)(acmeclient_op *op, const resp *r);

typedef struct http {
	CURL *easy;
	struct curl_slist *hdrs;
	char *post; /* the body sent, owned */
	char *buf;  /* the body received */
	size_t len, cap;
	bool too_big;
	char err[CURL_ERROR_SIZE];
	acmeclient_op *op;
	step_fn then;
} http;

enum {
	OP_ACCOUNT,
	OP_ORDER,
	OP_AUTHZ,
	OP_CHALLENGE,
	OP_CHAIN,
	OP_RENEWAL,
};

struct acmeclient_op {
	acmeclient *c;
	acmeclient_op *prev, *next;
	int kind;
	union {
		acmeclient_account_fn account;
		acmeclient_order_fn order;
		acmeclient_authz_fn authz;
		acmeclient_challenge_fn challenge;
		acmeclient_chain_fn chain;
		acmeclient_renewal_fn renewal;
	} fn;
	void *ctx;
	struct event *ev; /* a delay, then the delivery */
	event_callback_fn on_timer;
	http *h; /* the request in flight */
	bool delivering;
	/* the signed POST under way */
	char *url, *payload;
	const char *accept;
	bool use_jwk;
	step_fn then, resume;
	int badnonce, retries, nonce_fetches;
	/* the call's arguments */
	char *obj_url; /* the order, authorization... or account URL */
	char **names;
	size_t nnames;
	char *replaces, *profile;
	unsigned want;
	time_t deadline;
	unsigned delay;
	/* the result */
	int rc;
	long http_status;
	char *type, *detail;
	time_t retry_after;
	bool created, have_obj;
	dnsd_acme_order order;
	dnsd_acme_authz authz;
	dnsd_acme_challenge ch;
	dnsd_acme_chain chain;
	dnsd_acme_renewal ri;
};

/* --- results and delivery ------------------------------------------- */

static void http_free(http *h);

static void op_free(acmeclient_op *op)
{
	if (op->h) {
		curl_multi_remove_handle(op->c->multi, op->h->easy);
		http_free(op->h);
	}
	if (op->ev)
		event_free(op->ev);
	free(op->url);
	free(op->payload);
	free(op->obj_url);
	for (size_t i = 0; i < op->nnames; i++)
		free(op->names[i]);
	free(op->names);
	free(op->replaces);
	free(op->profile);
	free(op->type);
	free(op->detail);
	dnsd_acme_order_free(&op->order);
	dnsd_acme_authz_free(&op->authz);
	dnsd_acme_challenge_free(&op->ch);
	dnsd_acme_chain_free(&op->chain);
	dnsd_acme_renewal_free(&op->ri);
	free(op);
}

static void op_unlink(acmeclient_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else if (op->c->ops == op)
		op->c->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
}

/* Hands the result over. The op is out of the client's list first, so
 * that fn may free the client; nothing of the client is touched after
 * fn. */
static void op_deliver(evutil_socket_t fd, short what, void *arg)
{
	acmeclient_op *op = arg;
	(void)fd;
	(void)what;
	op_unlink(op);
	op->delivering = true;
	acmeclient_status st = {.rc = op->rc,
	                        .http = op->http_status,
	                        .type = op->type,
	                        .detail = op->detail ? op->detail : "",
	                        .retry_after = op->retry_after};
	bool ok = op->rc == 0, obj = ok || op->have_obj;
	const char *url = op->obj_url;
	switch (op->kind) {
	case OP_ACCOUNT:
		op->fn.account(op->ctx, &st, ok ? url : NULL, op->created);
		break;
	case OP_ORDER:
		op->fn.order(op->ctx, &st, obj ? url : NULL,
		             obj ? &op->order : NULL);
		break;
	case OP_AUTHZ:
		op->fn.authz(op->ctx, &st, obj ? &op->authz : NULL);
		break;
	case OP_CHALLENGE:
		op->fn.challenge(op->ctx, &st, ok ? &op->ch : NULL);
		break;
	case OP_CHAIN:
		op->fn.chain(op->ctx, &st, ok ? &op->chain : NULL);
		break;
	case OP_RENEWAL:
		op->fn.renewal(op->ctx, &st, ok ? &op->ri : NULL);
		break;
	}
	op_free(op);
}

static void op_timer(evutil_socket_t fd, short what, void *arg)
{
	acmeclient_op *op = arg;
	op->on_timer(fd, what, arg);
}

/* cb after seconds, on the op's own timer (allocated with the op, so
 * that scheduling cannot fail half-way). */
static void op_schedule(acmeclient_op *op, unsigned seconds,
                        event_callback_fn cb)
{
	struct timeval tv = {.tv_sec = seconds};
	op->on_timer = cb;
	evtimer_add(op->ev, &tv);
}

/* A printable copy of untrusted text for the status and the log. */
static char *clean_copy(const char *s)
{
	size_t n = strnlen(s, DETAIL_MAX);
	char *c = malloc(n + 1);
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++)
		c[i] =
		    ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	c[n] = '\0';
	return c;
}

static void op_done(acmeclient_op *op, int rc)
{
	if (op->h) {
		curl_multi_remove_handle(op->c->multi, op->h->easy);
		http_free(op->h);
		op->h = NULL;
	}
	op->rc = rc;
	op_schedule(op, 0, op_deliver);
}

static void op_fail(acmeclient_op *op, int rc, long status, const char *type,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void op_fail(acmeclient_op *op, int rc, long status, const char *type,
                    const char *fmt, ...)
{
	char buf[DETAIL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	free(op->type);
	free(op->detail);
	op->type = type ? clean_copy(type) : NULL;
	op->detail = clean_copy(buf);
	op->http_status = status;
	op_done(op, rc);
}

/* The error code of a problem type, else of the HTTP status. */
static int problem_rc(const dnsd_acme_problem *p, long status)
{
	static const struct {
		const char *name;
		int rc;
	} map[] = {
	    {"rateLimited", DNSD_ETOOMANY},
	    {"serverInternal", DNSD_EIO},
	    {"connection", DNSD_EDENIED},
	    {"malformed", DNSD_EINVAL},
	    {"badCSR", DNSD_EINVAL},
	    {"badPublicKey", DNSD_EINVAL},
	    {"badSignatureAlgorithm", DNSD_EINVAL},
	    {"badRevocationReason", DNSD_EINVAL},
	    {"invalidContact", DNSD_EINVAL},
	    {"unsupportedContact", DNSD_EINVAL},
	    {"unsupportedIdentifier", DNSD_EINVAL},
	    {"invalidProfile", DNSD_EINVAL},
	};
	for (size_t i = 0; p && i < sizeof map / sizeof map[0]; i++)
		if (dnsd_acme_problem_is(p, map[i].name))
			return map[i].rc;
	if (status == 429)
		return DNSD_ETOOMANY;
	if (status >= 500)
		return DNSD_EIO;
	return DNSD_EDENIED;
}

/* Fails the op with what the response says: its problem document, or
 * its HTTP status, or the transport error. */
static void op_fail_resp(acmeclient_op *op, const resp *r, const char *what)
{
	if (r->retry_after > 0)
		op->retry_after = time(NULL) + r->retry_after;
	if (r->curl != CURLE_OK) {
		op_fail(op, DNSD_EIO, 0, NULL, "%s: %s", what, r->curl_err);
	} else if (r->has_problem) {
		const dnsd_acme_problem *p = &r->problem;
		op_fail(op, problem_rc(p, r->status), r->status, p->type,
		        "%s: %s", what, p->detail ? p->detail : "no detail");
	} else {
		op_fail(op, problem_rc(NULL, r->status), r->status, NULL,
		        "%s: unexpected HTTP status %ld", what, r->status);
	}
}

/* True when the response is a success of one of the statuses (a 0 ends
 * the list); else the op has failed. */
static bool resp_ok(acmeclient_op *op, const resp *r, const char *what, ...)
{
	va_list ap;
	long want;
	if (r->curl == CURLE_OK) {
		va_start(ap, what);
		while ((want = va_arg(ap, long)) != 0) {
			if (r->status == want) {
				va_end(ap);
				return true;
			}
		}
		va_end(ap);
	}
	op_fail_resp(op, r, what);
	return false;
}

/* --- libcurl on libevent -------------------------------------------- */

static void check_done(acmeclient *c);

static void sock_event(evutil_socket_t fd, short what, void *arg)
{
	acmeclient *c = arg;
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
	            (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	check_done(c);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp,
                   void *socketp)
{
	acmeclient *c = userp;
	sockev *se = socketp;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (se) {
			event_free(se->ev);
			if (se->prev)
				se->prev->next = se->next;
			else
				c->socks = se->next;
			if (se->next)
				se->next->prev = se->prev;
			free(se);
		}
		return 0;
	}
	if (!se) {
		if (!(se = calloc(1, sizeof *se)))
			return -1;
		se->next = c->socks;
		if (c->socks)
			c->socks->prev = se;
		c->socks = se;
		curl_multi_assign(c->multi, s, se);
	} else {
		event_free(se->ev);
	}
	short ev = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
	                   (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	se->ev = event_new(c->base, s, ev, sock_event, c);
	if (!se->ev || event_add(se->ev, NULL) != 0)
		return -1;
	return 0;
}

static void timer_event(evutil_socket_t fd, short what, void *arg)
{
	acmeclient *c = arg;
	int running;
	(void)fd;
	(void)what;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int timer_cb(CURLM *multi, long ms, void *userp)
{
	acmeclient *c = userp;
	(void)multi;
	if (ms < 0)
		return evtimer_del(c->timer);
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000};
	return evtimer_add(c->timer, &tv);
}

static size_t body_cb(char *data, size_t size, size_t n, void *arg)
{
	http *h = arg;
	size_t len = size * n;
	if (len > DNSD_ACME_MAX_INPUT - h->len) {
		h->too_big = true;
		return 0;
	}
	if (h->len + len + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;
		while (cap < h->len + len + 1)
			cap *= 2;
		char *nb = realloc(h->buf, cap);
		if (!nb)
			return 0;
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, data, len);
	h->len += len;
	h->buf[h->len] = '\0';
	return len;
}

/* An extra CA bundle beside the system's: added to the store libcurl
 * has already filled (CURLOPT_CAINFO would replace it). */
static CURLcode ssl_ctx_cb(CURL *easy, void *ssl_ctx, void *arg)
{
	acmeclient *c = arg;
	(void)easy;
	X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
	if (!store || X509_STORE_load_file(store, c->ca_file) != 1)
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

static void http_free(http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->easy);
	curl_slist_free_all(h->hdrs);
	if (h->post)
		OPENSSL_cleanse(h->post, strlen(h->post));
	free(h->post);
	free(h->buf);
	free(h);
}

static const char *header(CURL *easy, const char *name)
{
	struct curl_header *hd;
	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return NULL;
	return hd->value;
}

/* The Replay-Nonce of a response into the pool, the oldest dropped when
 * it is full. */
static void nonce_put(acmeclient *c, const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 256)
		return;
	for (size_t i = 0; i < len; i++) {
		char ch = n[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return;
	}
	char *copy = strdup(n);
	if (!copy)
		return;
	if (c->nnonces == NONCE_POOL) {
		free(c->nonces[0]);
		memmove(c->nonces, c->nonces + 1,
		        (NONCE_POOL - 1) * sizeof c->nonces[0]);
		c->nnonces--;
	}
	c->nonces[c->nnonces++] = copy;
}

/* The newest nonce, the caller's to free; NULL when the pool is empty. */
static char *nonce_take(acmeclient *c)
{
	return c->nnonces ? c->nonces[--c->nnonces] : NULL;
}

/* A finished transfer to its op's next step. */
static void http_finish(acmeclient *c, http *h, CURLcode code)
{
	acmeclient_op *op = h->op;
	resp r = {.curl = code};
	curl_multi_remove_handle(c->multi, h->easy);
	op->h = NULL;
	if (code == CURLE_WRITE_ERROR && h->too_big)
		r.curl_err = "response too large";
	else
		r.curl_err = h->err[0] ? h->err : curl_easy_strerror(code);
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r.status);
	curl_off_t ra = 0;
	if (curl_easy_getinfo(h->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
	    ra > 0)
		r.retry_after = ra > 86400 * 7 ? 86400 * 7 : (long)ra;
	r.body = h->buf ? h->buf : "";
	r.len = h->len;
	const char *n = header(h->easy, "Replay-Nonce");
	if (n)
		nonce_put(c, n);
	r.location = header(h->easy, "Location");
	if (code == CURLE_OK && r.status >= 400 && r.len > 0 &&
	    dnsd_acme_problem_parse(r.body, r.len, &r.problem, NULL, 0) == 0)
		r.has_problem = true;
	char *url = NULL;
	curl_easy_getinfo(h->easy, CURLINFO_EFFECTIVE_URL, &url);
	log_debug("ACME %s: HTTP %ld%s%s%s", url ? url : "?", r.status,
	          r.has_problem && r.problem.type ? " " : "",
	          r.has_problem && r.problem.type ? r.problem.type : "",
	          code != CURLE_OK ? " (transport error)" : "");
	h->then(op, &r);
	dnsd_acme_problem_free(&r.problem);
	http_free(h);
}

static void check_done(acmeclient *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		http *h = NULL;
		CURL *easy = m->easy_handle;
		CURLcode code = m->data.result;
		char *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		h = (http *)priv;
		if (h)
			http_finish(c, h, code);
	}
}

enum { HTTP_GET, HTTP_HEAD, HTTP_POST };

/* One request for op; then gets the response. body (POST) is taken. */
static void http_start(acmeclient_op *op, int method, const char *url,
                       char *body, const char *accept, step_fn then)
{
	acmeclient *c = op->c;
	http *h = calloc(1, sizeof *h);
	if (!h || !(h->easy = curl_easy_init())) {
		free(body);
		free(h);
		op_fail(op, DNSD_ENOMEM, 0, NULL, "out of memory");
		return;
	}
	h->op = op;
	h->then = then;
	h->post = body;
	CURL *e = h->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)h);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	                 (long)(c->timeout < 10 ? c->timeout : 10));
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
	                 c->allow_http ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dnsd/" DNSD_VERSION);
	if (c->ca_file) {
		curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
		curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, c);
	}
	if (method == HTTP_HEAD)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (method == HTTP_POST) {
		h->hdrs = curl_slist_append(h->hdrs, ACME_JOSE);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (accept)
		h->hdrs = curl_slist_append(h->hdrs, accept);
	if (h->hdrs)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
	op->h = h;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		op->h = NULL;
		http_free(h);
		op_fail(op, DNSD_ENOMEM, 0, NULL, "cannot start a request");
	}
}

/* --- signed POSTs --------------------------------------------------- */

static void post_send(acmeclient_op *op);

static void post_nonce(acmeclient_op *op, const resp *r)
{
	if (r->curl != CURLE_OK || r->status >= 400) {
		op_fail_resp(op, r, "newNonce");
		return;
	}
	post_send(op); /* fails when there still is no nonce */
}

static void post_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	post_send(arg);
}

static void post_done(acmeclient_op *op, const resp *r)
{
	acmeclient *c = op->c;
	if (r->curl == CURLE_OK && r->has_problem &&
	    dnsd_acme_problem_is(&r->problem, "badNonce") &&
	    op->badnonce < ACMECLIENT_BADNONCE_TRIES) {
		op->badnonce++;
		log_debug("ACME badNonce at %s, retrying (%d)", op->url,
		          op->badnonce);
		post_send(op);
		return;
	}
	if (r->curl == CURLE_OK && (r->status == 429 || r->status == 503) &&
	    r->retry_after > 0 &&
	    (unsigned long)r->retry_after <= c->max_retry_wait &&
	    op->retries < RETRY_TRIES) {
		op->retries++;
		log_warnx("ACME %s: HTTP %ld, retrying after %ld s", op->url,
		          r->status, r->retry_after);
		op_schedule(op, (unsigned)r->retry_after, post_retry);
		return;
	}
	op->then(op, r);
}

static void post_send(acmeclient_op *op)
{
	acmeclient *c = op->c;
	char *nonce = nonce_take(c);
	if (!nonce) {
		if (op->nonce_fetches++ >= NONCE_FETCHES) {
			op_fail(op, DNSD_EMALFORM, 0, NULL,
			        "no Replay-Nonce from %s", c->dir.new_nonce);
			return;
		}
		http_start(op, HTTP_HEAD, c->dir.new_nonce, NULL, NULL,
		           post_nonce);
		return;
	}
	dnsd_acme_jws j = {.key = c->key,
	                   .url = op->url,
	                   .nonce = nonce,
	                   .kid = op->use_jwk ? NULL : c->account_url,
	                   .payload = op->payload};
	char *body;
	int rc = dnsd_acme_jws_sign(&j, &body);
	free(nonce);
	if (rc < 0) {
		op_fail(op, rc, 0, NULL, "cannot sign the request: %s",
		        dnsd_strerror(rc));
		return;
	}
	http_start(op, HTTP_POST, op->url, body, op->accept, post_done);
}

/* A signed POST of payload (NULL: POST-as-GET) to url; then gets the
 * final response, whatever its status. */
static void op_post(acmeclient_op *op, const char *url, const char *payload,
                    const char *accept, step_fn then)
{
	char *u = strdup(url), *p = payload ? strdup(payload) : NULL;
	if (!u || (payload && !p)) {
		free(u);
		free(p);
		op_fail(op, DNSD_ENOMEM, 0, NULL, "out of memory");
		return;
	}
	free(op->url);
	if (op->payload)
		OPENSSL_cleanse(op->payload, strlen(op->payload));
	free(op->payload);
	op->url = u;
	op->payload = p;
	op->accept = accept;
	op->then = then;
	op->badnonce = op->retries = op->nonce_fetches = 0;
	post_send(op);
}

/* --- the client ----------------------------------------------------- */

static int fail_why(char *why, size_t cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_why(char *why, size_t cap, int rc, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Writes the new key beside its final name and renames it there, so a
 * crash leaves either no key or a whole one. */
static int key_write(const char *path, EVP_PKEY *key, char *why, size_t cap)
{
	char *pem;
	size_t len;
	int rc = dnsd_certkey_to_pem(key, &pem, &len);
	if (rc < 0)
		return fail_why(why, cap, rc, "%s: %s", path,
		                dnsd_strerror(rc));
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n), *dir = strdup(path);
	rc = DNSD_EIO;
	if (!tmp || !dir) {
		rc = DNSD_ENOMEM;
		goto out;
	}
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		fail_why(why, cap, rc, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	bool ok = fchmod(fd, 0600) == 0 &&
	          write(fd, pem, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		fail_why(why, cap, rc, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	OPENSSL_cleanse(pem, len);
	free(pem);
	free(tmp);
	free(dir);
	return rc;
}

static int key_load(const char *path, const char *type, EVP_PKEY **out,
                    char *why, size_t cap)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int want = DNSD_CERTKEY_EC256;
	if (type)
		dnsd_certkey_type_from_text(type, &want); /* checked before */
	if (fd < 0 && errno == ENOENT) {
		int rc = dnsd_certkey_new(want, out);
		if (rc < 0)
			return fail_why(why, cap, rc, "account key: %s",
			                dnsd_strerror(rc));
		if ((rc = key_write(path, *out, why, cap)) < 0) {
			EVP_PKEY_free(*out);
			*out = NULL;
			return rc;
		}
		log_info("ACME account key %s created (%s)", path,
		         dnsd_certkey_type_name(want));
		return 0;
	}
	if (fd < 0)
		return fail_why(why, cap, DNSD_EIO, "%s: %s", path,
		                strerror(errno));
	struct stat st;
	char *buf = NULL;
	int rc = DNSD_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > KEY_FILE_MAX) {
		fail_why(why, cap, rc, "%s: not a key file", path);
		goto out;
	}
	if (st.st_mode & 077)
		log_warnx("ACME account key %s: readable by others (mode %03o)",
		          path, (unsigned)(st.st_mode & 0777));
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = DNSD_ENOMEM;
		goto out;
	}
	ssize_t n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		fail_why(why, cap, rc, "%s: %s", path,
		         n < 0 ? strerror(errno) : "short read");
		goto out;
	}
	rc = dnsd_certkey_from_pem(buf, (size_t)n, out);
	OPENSSL_cleanse(buf, (size_t)n);
	if (rc < 0) {
		fail_why(why, cap, DNSD_ESYNTAX, "%s: no private key", path);
		rc = DNSD_ESYNTAX;
		goto out;
	}
	const char *alg;
	int have = dnsd_certkey_type(*out);
	if (have < 0 || dnsd_acme_key_alg(*out, &alg) < 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		rc = fail_why(why, cap, DNSD_ENOTSUP,
		              "%s: a key of an unsupported type", path);
		goto out;
	}
	/* an account keeps its key: a new type needs a new account */
	if (type && have != want)
		log_warnx("ACME account key %s is %s, not %s: kept (the type "
		          "applies to a key created; remove the file for a "
		          "new account)",
		          path, dnsd_certkey_type_name(have),
		          dnsd_certkey_type_name(want));
out:
	free(buf);
	close(fd);
	return rc;
}

static bool url_fits(bool allow_http, const char *u)
{
	return u && strlen(u) <= DNSD_ACME_MAX_URL &&
	       (strncmp(u, "https://", 8) == 0 ||
	        (allow_http && strncmp(u, "http://", 7) == 0));
}

static int eab_decode(acmeclient *c, const char *b64)
{
	size_t n = strlen(b64);
	while (n > 0 && b64[n - 1] == '=') /* tolerated, though not base64url */
		n--;
	int len =
	    dnsd_acme_b64url_decode(b64, n, c->eab_mac, sizeof c->eab_mac);
	if (len <= 0)
		return DNSD_EINVAL;
	c->eab_len = (size_t)len;
	return 0;
}

int acmeclient_new(struct event_base *base, const acmeclient_opts *o,
                   acmeclient **out, char *why, size_t cap)
{
	static bool curl_ready;
	*out = NULL;
	if (!url_fits(o->allow_http, o->directory))
		return fail_why(why, cap, DNSD_EINVAL,
		                "acme-directory: not an https URL");
	if (!o->key_file)
		return fail_why(why, cap, DNSD_EINVAL, "no account key file");
	int type;
	if (o->key_type && dnsd_certkey_type_from_text(o->key_type, &type) < 0)
		return fail_why(why, cap, DNSD_EINVAL,
		                "unknown account key type %s", o->key_type);
	if (!o->eab_kid != !o->eab_hmac)
		return fail_why(why, cap, DNSD_EINVAL,
		                "acme-eab needs both KID and HMAC");
	if (o->email) {
		char *p;
		if (dnsd_acme_account_payload(o->email, false, NULL, &p) < 0)
			return fail_why(why, cap, DNSD_EINVAL,
			                "acme-email: not one plain address");
		free(p);
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return fail_why(why, cap, DNSD_ENOMEM,
			                "libcurl does not initialize");
		curl_ready = true;
	}
	acmeclient *c = calloc(1, sizeof *c);
	if (!c)
		return fail_why(why, cap, DNSD_ENOMEM, "out of memory");
	c->base = base;
	c->timeout = o->timeout ? o->timeout : 30;
	c->max_retry_wait = o->max_retry_wait ? o->max_retry_wait : 60;
	c->allow_http = o->allow_http;
	int rc = DNSD_ENOMEM;
	if (!(c->directory_url = strdup(o->directory)) ||
	    (o->ca_file && !(c->ca_file = strdup(o->ca_file))) ||
	    (o->email && !(c->email = strdup(o->email))) ||
	    (o->eab_kid && !(c->eab_kid = strdup(o->eab_kid)))) {
		fail_why(why, cap, rc, "out of memory");
		goto fail;
	}
	if (o->eab_hmac && (rc = eab_decode(c, o->eab_hmac)) < 0) {
		fail_why(why, cap, rc, "acme-eab: the HMAC is not base64url");
		goto fail;
	}
	if (o->ca_file && access(o->ca_file, R_OK) != 0) {
		rc = fail_why(why, cap, DNSD_EIO, "acme-ca-file %s: %s",
		              o->ca_file, strerror(errno));
		goto fail;
	}
	if ((rc = key_load(o->key_file, o->key_type, &c->key, why, cap)) < 0)
		goto fail;
	if ((rc = dnsd_acme_thumbprint(c->key, c->thumb)) < 0) {
		fail_why(why, cap, rc, "account key: %s", dnsd_strerror(rc));
		goto fail;
	}
	rc = DNSD_ENOMEM;
	if (!(c->multi = curl_multi_init()) ||
	    !(c->timer = evtimer_new(base, timer_event, c))) {
		fail_why(why, cap, rc, "out of memory");
		goto fail;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*out = c;
	return 0;
fail:
	acmeclient_free(c);
	return rc;
}

void acmeclient_free(acmeclient *c)
{
	if (!c)
		return;
	while (c->ops) {
		acmeclient_op *op = c->ops;
		op_unlink(op);
		op_free(op);
	}
	/* libcurl may still close sockets through sock_cb here */
	if (c->multi)
		curl_multi_cleanup(c->multi);
	while (c->socks) {
		sockev *se = c->socks;
		c->socks = se->next;
		event_free(se->ev);
		free(se);
	}
	if (c->timer)
		event_free(c->timer);
	EVP_PKEY_free(c->key);
	OPENSSL_cleanse(c->eab_mac, sizeof c->eab_mac);
	free(c->directory_url);
	free(c->ca_file);
	free(c->email);
	free(c->eab_kid);
	dnsd_acme_directory_free(&c->dir);
	free(c->account_url);
	for (size_t i = 0; i < c->nnonces; i++)
		free(c->nonces[i]);
	free(c);
}

void acmeclient_cancel(acmeclient_op *op)
{
	if (!op || op->delivering)
		return;
	op_unlink(op);
	op_free(op);
}

const char *acmeclient_thumbprint(const acmeclient *c)
{
	return c->thumb;
}

int acmeclient_dns01_value(const acmeclient *c, const char *token, char *out)
{
	return dnsd_acme_dns01_txt(token, c->thumb, out);
}

const dnsd_acme_directory *acmeclient_directory(const acmeclient *c)
{
	return c->have_dir ? &c->dir : NULL;
}

const char *acmeclient_account_url(const acmeclient *c)
{
	return c->account_url;
}

const char *acmeclient_status_text(const acmeclient_status *st, char *buf,
                                   size_t cap)
{
	if (st->rc == 0) {
		snprintf(buf, cap, "ok");
		return buf;
	}
	char code[24] = "";
	if (st->http)
		snprintf(code, sizeof code, "HTTP %ld ", st->http);
	snprintf(buf, cap, "%s%s%s%s (%s)", code, st->type ? st->type : "",
	         st->type ? ": " : "", st->detail, dnsd_strerror(st->rc));
	return buf;
}

/* A new op of a kind, in the client's list. */
static acmeclient_op *op_new(acmeclient *c, int kind, void *ctx,
                             acmeclient_op **out)
{
	acmeclient_op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	if (!(op->ev = evtimer_new(c->base, op_timer, op))) {
		free(op);
		return NULL;
	}
	op->c = c;
	op->kind = kind;
	op->ctx = ctx;
	op->next = c->ops;
	if (c->ops)
		c->ops->prev = op;
	c->ops = op;
	if (out)
		*out = op;
	return op;
}

/* --- the directory, then a step ------------------------------------- */

static void dir_done(acmeclient_op *op, const resp *r)
{
	acmeclient *c = op->c;
	char why[128];
	if (!resp_ok(op, r, "directory", 200L, 0L))
		return;
	if (!c->have_dir) {
		int rc = dnsd_acme_directory_parse(r->body, r->len, &c->dir,
		                                   why, sizeof why);
		if (rc < 0) {
			op_fail(op, rc, r->status, NULL, "directory: %s", why);
			return;
		}
		if (!url_fits(c->allow_http, c->dir.new_nonce) ||
		    !url_fits(c->allow_http, c->dir.new_account) ||
		    !url_fits(c->allow_http, c->dir.new_order)) {
			dnsd_acme_directory_free(&c->dir);
			op_fail(op, DNSD_EMALFORM, r->status, NULL,
			        "directory: plain http URLs");
			return;
		}
		c->have_dir = true;
	}
	op->resume(op, NULL);
}

/* next once the directory is there: at once, or after fetching it. */
static void with_directory(acmeclient_op *op, step_fn next)
{
	if (op->c->have_dir) {
		next(op, NULL);
		return;
	}
	op->resume = next;
	http_start(op, HTTP_GET, op->c->directory_url, NULL, NULL, dir_done);
}

/* --- the account ---------------------------------------------------- */

static bool account_valid(acmeclient_op *op, const resp *r)
{
	dnsd_acme_account a;
	char why[128];
	int rc = dnsd_acme_account_parse(r->body, r->len, &a, why, sizeof why);
	if (rc < 0) {
		op_fail(op, rc, r->status, NULL, "account: %s", why);
		return false;
	}
	int st = a.status;
	dnsd_acme_account_free(&a);
	if (st != DNSD_ACME_VALID) {
		op_fail(op, DNSD_EDENIED, r->status, NULL, "account is %s",
		        dnsd_acme_status_name(st));
		return false;
	}
	if (!url_fits(op->c->allow_http, r->location)) {
		op_fail(op, DNSD_EMALFORM, r->status, NULL,
		        "account without a Location");
		return false;
	}
	return true;
}

static void account_set(acmeclient_op *op, const char *url, bool created)
{
	acmeclient *c = op->c;
	char *u = strdup(url), *u2 = strdup(url);
	if (!u || !u2) {
		free(u);
		free(u2);
		op_fail(op, DNSD_ENOMEM, 0, NULL, "out of memory");
		return;
	}
	free(c->account_url);
	c->account_url = u;
	free(op->obj_url);
	op->obj_url = u2;
	op->created = created;
	op_done(op, 0);
}

static void account_created(acmeclient_op *op, const resp *r)
{
	if (!resp_ok(op, r, "newAccount", 201L, 200L, 0L) ||
	    !account_valid(op, r))
		return;
	account_set(op, r->location, r->status == 201);
}

static void account_create(acmeclient_op *op)
{
	acmeclient *c = op->c;
	char *eab = NULL, *payload;
	int rc;
	if (c->dir.eab_required && !c->eab_kid) {
		op_fail(op, DNSD_EDENIED, 0, NULL,
		        "the CA requires external account binding (acme-eab)");
		return;
	}
	if (c->eab_kid &&
	    (rc = dnsd_acme_eab_jws(c->key, c->eab_kid, c->eab_mac, c->eab_len,
	                            c->dir.new_account, &eab)) < 0) {
		op_fail(op, rc, 0, NULL, "external account binding: %s",
		        dnsd_strerror(rc));
		return;
	}
	rc = dnsd_acme_account_payload(c->email, false, eab, &payload);
	free(eab);
	if (rc < 0) {
		op_fail(op, rc, 0, NULL, "newAccount: %s", dnsd_strerror(rc));
		return;
	}
	op_post(op, c->dir.new_account, payload, NULL, account_created);
	free(payload);
}

static void account_looked_up(acmeclient_op *op, const resp *r)
{
	if (r->curl == CURLE_OK && r->has_problem &&
	    dnsd_acme_problem_is(&r->problem, "accountDoesNotExist")) {
		account_create(op);
		return;
	}
	if (!resp_ok(op, r, "newAccount", 200L, 0L) || !account_valid(op, r))
		return;
	account_set(op, r->location, false);
}

static void account_lookup(acmeclient_op *op, const resp *unused)
{
	char *payload;
	(void)unused;
	op->use_jwk = true;
	int rc = dnsd_acme_account_payload(NULL, true, NULL, &payload);
	if (rc < 0) {
		op_fail(op, rc, 0, NULL, "out of memory");
		return;
	}
	op_post(op, op->c->dir.new_account, payload, NULL, account_looked_up);
	free(payload);
}

int acmeclient_account(acmeclient *c, acmeclient_account_fn fn, void *ctx,
                       acmeclient_op **out)
{
	acmeclient_op *op = op_new(c, OP_ACCOUNT, ctx, out);
	if (!op)
		return DNSD_ENOMEM;
	op->fn.account = fn;
	with_directory(op, account_lookup);
	return 0;
}

/* --- orders --------------------------------------------------------- */

/* The order of a response into op; false when the op has failed. */
static bool order_take(acmeclient_op *op, const resp *r)
{
	char why[128];
	dnsd_acme_order_free(&op->order);
	int rc =
	    dnsd_acme_order_parse(r->body, r->len, &op->order, why, sizeof why);
	if (rc < 0) {
		op_fail(op, rc, r->status, NULL, "order: %s", why);
		return false;
	}
	return true;
}

static void order_posted(acmeclient_op *op, const resp *r);

static void order_send(acmeclient_op *op)
{
	acmeclient *c = op->c;
	char *payload;
	int rc =
	    dnsd_acme_order_payload((const char *const *)op->names, op->nnames,
	                            op->replaces, op->profile, &payload);
	if (rc < 0) {
		op_fail(op, rc, 0, NULL, "newOrder: %s", dnsd_strerror(rc));
		return;
	}
	op_post(op, c->dir.new_order, payload, NULL, order_posted);
	free(payload);
}

static void order_posted(acmeclient_op *op, const resp *r)
{
	if (r->curl == CURLE_OK && r->has_problem && op->replaces &&
	    dnsd_acme_problem_is(&r->problem, "alreadyReplaced")) {
		log_warnx("ACME newOrder: the certificate was already "
		          "replaced, ordering without \"replaces\"");
		free(op->replaces);
		op->replaces = NULL;
		order_send(op);
		return;
	}
	if (!resp_ok(op, r, "newOrder", 201L, 200L, 0L))
		return;
	if (!url_fits(op->c->allow_http, r->location)) {
		op_fail(op, DNSD_EMALFORM, r->status, NULL,
		        "newOrder: no Location");
		return;
	}
	if (!order_take(op, r))
		return;
	if (!(op->obj_url = strdup(r->location))) {
		op_fail(op, DNSD_ENOMEM, 0, NULL, "out of memory");
		return;
	}
	op_done(op, 0);
}

/* The features the directory lacks are left out of the order here. */
static void order_start(acmeclient_op *op, const resp *unused)
{
	const dnsd_acme_directory *d = &op->c->dir;
	(void)unused;
	if (op->replaces && !d->renewal_info) {
		log_debug("ACME newOrder: no renewalInfo in the directory, "
		          "\"replaces\" left out");
		free(op->replaces);
		op->replaces = NULL;
	}
	if (op->profile && !dnsd_acme_directory_has_profile(d, op->profile)) {
		log_info("ACME newOrder: the CA offers no profile \"%s\", "
		         "ordering with its default",
		         op->profile);
		free(op->profile);
		op->profile = NULL;
	}
	order_send(op);
}

static acmeclient_op *op_needing_account(acmeclient *c, int kind, void *ctx,
                                         acmeclient_op **out, int *rc)
{
	if (!c->account_url || !c->have_dir) {
		*rc = DNSD_EINVAL;
		return NULL;
	}
	acmeclient_op *op = op_new(c, kind, ctx, out);
	*rc = op ? 0 : DNSD_ENOMEM;
	return op;
}

int acmeclient_new_order(acmeclient *c, const char *const *names, size_t n,
                         const char *replaces, const char *profile,
                         acmeclient_order_fn fn, void *ctx, acmeclient_op **out)
{
	char *p;
	int rc = dnsd_acme_order_payload(names, n, replaces, profile, &p);
	if (rc < 0)
		return rc;
	free(p);
	acmeclient_op *op = op_needing_account(c, OP_ORDER, ctx, out, &rc);
	if (!op)
		return rc;
	op->fn.order = fn;
	if (!(op->names = calloc(n, sizeof *op->names)) ||
	    (replaces && !(op->replaces = strdup(replaces))) ||
	    (profile && !(op->profile = strdup(profile))))
		goto nomem;
	for (; op->nnames < n; op->nnames++)
		if (!(op->names[op->nnames] = strdup(names[op->nnames])))
			goto nomem;
	order_start(op, NULL);
	return 0;
nomem:
	if (out)
		*out = NULL;
	op_unlink(op);
	op_free(op);
	return DNSD_ENOMEM;
}

static void order_got(acmeclient_op *op, const resp *r)
{
	if (resp_ok(op, r, "order", 200L, 0L) && order_take(op, r))
		op_done(op, 0);
}

/* A copy of url in op->obj_url; on failure (DNSD_EINVAL: not a URL of
 * ours, DNSD_ENOMEM) the op is freed. */
static int op_url(acmeclient_op *op, const char *url, acmeclient_op **out)
{
	int rc = 0;
	if (!url_fits(op->c->allow_http, url))
		rc = DNSD_EINVAL;
	else if (!(op->obj_url = strdup(url)))
		rc = DNSD_ENOMEM;
	if (rc < 0) {
		if (out)
			*out = NULL;
		op_unlink(op);
		op_free(op);
	}
	return rc;
}

int acmeclient_get_order(acmeclient *c, const char *url, acmeclient_order_fn fn,
                         void *ctx, acmeclient_op **out)
{
	int rc;
	acmeclient_op *op = op_needing_account(c, OP_ORDER, ctx, out, &rc);
	if (!op)
		return rc;
	op->fn.order = fn;
	if ((rc = op_url(op, url, out)) < 0)
		return rc;
	op_post(op, url, NULL, NULL, order_got);
	return 0;
}

/* --- polling -------------------------------------------------------- */

static void poll_send(acmeclient_op *op);

static void poll_again(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	poll_send(arg);
}

/* The next poll after the CA's Retry-After, else after the backoff;
 * the op fails when that would be past its deadline. */
static void poll_later(acmeclient_op *op, const resp *r, const char *what,
                       int status)
{
	unsigned d = op->delay;
	if (r->retry_after > 0)
		d = (unsigned)(r->retry_after < 60 ? r->retry_after : 60);
	op->delay =
	    op->delay * 2 > POLL_MAX_DELAY ? POLL_MAX_DELAY : op->delay * 2;
	if (time(NULL) + (time_t)d > op->deadline) {
		op_fail(op, DNSD_ETOOMANY, r->status, NULL,
		        "%s still %s, gave up waiting", what,
		        dnsd_acme_status_name(status));
		return;
	}
	op_schedule(op, d, poll_again);
}

/* The problem of an authorization that failed: its failed challenge's. */
static const dnsd_acme_problem *authz_problem(const dnsd_acme_authz *a)
{
	for (size_t i = 0; i < a->nch; i++)
		if (a->ch[i].error)
			return a->ch[i].error;
	return NULL;
}

static void poll_got(acmeclient_op *op, const resp *r)
{
	char why[128];
	int rc, status;
	const dnsd_acme_problem *p;
	const char *what = op->kind == OP_ORDER ? "order" : "authorization";
	if (!resp_ok(op, r, what, 200L, 0L))
		return;
	if (op->kind == OP_ORDER) {
		if (!order_take(op, r))
			return;
		status = op->order.status;
		p = op->order.error;
	} else {
		dnsd_acme_authz_free(&op->authz);
		rc = dnsd_acme_authz_parse(r->body, r->len, &op->authz, why,
		                           sizeof why);
		if (rc < 0) {
			op_fail(op, rc, r->status, NULL, "authorization: %s",
			        why);
			return;
		}
		status = op->authz.status;
		p = authz_problem(&op->authz);
	}
	if (op->want & DNSD_ACME_BIT(status)) {
		op_done(op, 0);
		return;
	}
	bool final =
	    status == DNSD_ACME_INVALID || status == DNSD_ACME_DEACTIVATED ||
	    status == DNSD_ACME_EXPIRED || status == DNSD_ACME_REVOKED ||
	    (op->kind == OP_ORDER && status == DNSD_ACME_VALID);
	if (final) {
		op->have_obj = true;
		op_fail(op, DNSD_EDENIED, r->status, p ? p->type : NULL,
		        "%s is %s%s%s", what, dnsd_acme_status_name(status),
		        p && p->detail ? ": " : "",
		        p && p->detail ? p->detail : "");
		return;
	}
	poll_later(op, r, what, status);
}

static void poll_send(acmeclient_op *op)
{
	op_post(op, op->obj_url, NULL, NULL, poll_got);
}

static int poll_start(acmeclient *c, int kind, const char *url, unsigned states,
                      unsigned max_wait, void *ctx, acmeclient_op **out,
                      acmeclient_op **res)
{
	int rc;
	acmeclient_op *op = op_needing_account(c, kind, ctx, out, &rc);
	if (!op)
		return rc;
	if ((rc = op_url(op, url, out)) < 0)
		return rc;
	op->want = states;
	op->deadline = time(NULL) + (time_t)max_wait;
	op->delay = 1;
	*res = op;
	return 0;
}

int acmeclient_poll_order(acmeclient *c, const char *url, unsigned states,
                          unsigned max_wait, acmeclient_order_fn fn, void *ctx,
                          acmeclient_op **out)
{
	acmeclient_op *op;
	int rc = poll_start(c, OP_ORDER, url, states, max_wait, ctx, out, &op);
	if (rc < 0)
		return rc;
	op->fn.order = fn;
	poll_send(op);
	return 0;
}

int acmeclient_poll_authz(acmeclient *c, const char *url, unsigned states,
                          unsigned max_wait, acmeclient_authz_fn fn, void *ctx,
                          acmeclient_op **out)
{
	acmeclient_op *op;
	int rc = poll_start(c, OP_AUTHZ, url, states, max_wait, ctx, out, &op);
	if (rc < 0)
		return rc;
	op->fn.authz = fn;
	poll_send(op);
	return 0;
}

/* --- authorizations, challenges, finalize, certificates ------------- */

static void authz_got(acmeclient_op *op, const resp *r)
{
	char why[128];
	if (!resp_ok(op, r, "authorization", 200L, 0L))
		return;
	int rc =
	    dnsd_acme_authz_parse(r->body, r->len, &op->authz, why, sizeof why);
	if (rc < 0)
		op_fail(op, rc, r->status, NULL, "authorization: %s", why);
	else
		op_done(op, 0);
}

int acmeclient_get_authz(acmeclient *c, const char *url, acmeclient_authz_fn fn,
                         void *ctx, acmeclient_op **out)
{
	int rc;
	acmeclient_op *op = op_needing_account(c, OP_AUTHZ, ctx, out, &rc);
	if (!op)
		return rc;
	op->fn.authz = fn;
	if ((rc = op_url(op, url, out)) < 0)
		return rc;
	op_post(op, url, NULL, NULL, authz_got);
	return 0;
}

static void challenge_got(acmeclient_op *op, const resp *r)
{
	char why[128];
	if (!resp_ok(op, r, "challenge", 200L, 0L))
		return;
	int rc = dnsd_acme_challenge_parse(r->body, r->len, &op->ch, why,
	                                   sizeof why);
	if (rc < 0)
		op_fail(op, rc, r->status, NULL, "challenge: %s", why);
	else
		op_done(op, 0);
}

int acmeclient_respond(acmeclient *c, const char *challenge_url,
                       acmeclient_challenge_fn fn, void *ctx,
                       acmeclient_op **out)
{
	int rc;
	acmeclient_op *op = op_needing_account(c, OP_CHALLENGE, ctx, out, &rc);
	if (!op)
		return rc;
	op->fn.challenge = fn;
	if ((rc = op_url(op, challenge_url, out)) < 0)
		return rc;
	op_post(op, challenge_url, "{}", NULL, challenge_got);
	return 0;
}

static void finalized(acmeclient_op *op, const resp *r)
{
	if (resp_ok(op, r, "finalize", 200L, 0L) && order_take(op, r))
		op_done(op, 0);
}

int acmeclient_finalize(acmeclient *c, const char *order_url,
                        const char *finalize_url, const uint8_t *csr,
                        size_t len, acmeclient_order_fn fn, void *ctx,
                        acmeclient_op **out)
{
	char *payload;
	int rc = dnsd_acme_finalize_payload(csr, len, &payload);
	if (rc < 0)
		return rc;
	acmeclient_op *op = NULL;
	if (!url_fits(c->allow_http, finalize_url))
		rc = DNSD_EINVAL;
	else if ((op = op_needing_account(c, OP_ORDER, ctx, out, &rc)))
		rc = op_url(op, order_url, out);
	if (rc < 0) {
		free(payload);
		return rc;
	}
	op->fn.order = fn;
	op_post(op, finalize_url, payload, NULL, finalized);
	free(payload);
	return 0;
}

static void chain_got(acmeclient_op *op, const resp *r)
{
	char why[128];
	if (!resp_ok(op, r, "certificate", 200L, 0L))
		return;
	int rc =
	    dnsd_acme_chain_parse(r->body, r->len, &op->chain, why, sizeof why);
	if (rc < 0)
		op_fail(op, rc, r->status, NULL, "certificate: %s", why);
	else
		op_done(op, 0);
}

int acmeclient_certificate(acmeclient *c, const char *url,
                           acmeclient_chain_fn fn, void *ctx,
                           acmeclient_op **out)
{
	int rc;
	acmeclient_op *op = op_needing_account(c, OP_CHAIN, ctx, out, &rc);
	if (!op)
		return rc;
	op->fn.chain = fn;
	if ((rc = op_url(op, url, out)) < 0)
		return rc;
	op_post(op, url, NULL, ACME_PEM_CHAIN, chain_got);
	return 0;
}

/* --- ARI ------------------------------------------------------------ */

static void renewal_got(acmeclient_op *op, const resp *r)
{
	char why[128];
	if (!resp_ok(op, r, "renewalInfo", 200L, 0L))
		return;
	int rc =
	    dnsd_acme_renewal_parse(r->body, r->len, &op->ri, why, sizeof why);
	if (rc < 0) {
		op_fail(op, rc, r->status, NULL, "renewalInfo: %s", why);
		return;
	}
	if (r->retry_after > 0)
		op->retry_after = time(NULL) + r->retry_after;
	op_done(op, 0);
}

static void renewal_start(acmeclient_op *op, const resp *unused)
{
	const char *base = op->c->dir.renewal_info;
	(void)unused;
	if (!base) {
		op_fail(op, DNSD_ENOTSUP, 0, NULL,
		        "the CA offers no renewalInfo (ARI)");
		return;
	}
	size_t n = strlen(base) + 1 + strlen(op->replaces) + 1;
	char *url = malloc(n);
	if (!url) {
		op_fail(op, DNSD_ENOMEM, 0, NULL, "out of memory");
		return;
	}
	snprintf(url, n, "%s%s%s", base,
	         base[strlen(base) - 1] == '/' ? "" : "/", op->replaces);
	http_start(op, HTTP_GET, url, NULL, NULL, renewal_got);
	free(url);
}

int acmeclient_renewal_info(acmeclient *c, const uint8_t *cert, size_t len,
                            acmeclient_renewal_fn fn, void *ctx,
                            acmeclient_op **out)
{
	char *id;
	int rc = dnsd_acme_ari_certid(cert, len, &id);
	if (rc == DNSD_EMALFORM)
		return DNSD_EINVAL;
	acmeclient_op *op = op_new(c, OP_RENEWAL, ctx, out);
	if (!op) {
		free(id);
		return DNSD_ENOMEM;
	}
	op->fn.renewal = fn;
	op->replaces = id; /* the CertID */
	if (rc == DNSD_ENOTFOUND)
		op_fail(op, rc, 0, NULL,
		        "the certificate has no Authority Key Identifier");
	else if (rc < 0)
		op_fail(op, rc, 0, NULL, "%s", dnsd_strerror(rc));
	else
		with_directory(op, renewal_start);
	return 0;
}

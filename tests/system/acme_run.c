/* acme_run: the ACME client of the daemon (src/daemon/acmeclient.c) on
 * its own, for tests/system/acme_client.sh: one whole order for NAMEs
 * against a CA. It prints what happens, one line per step, on standard
 * output:
 *   account created|existing URL
 *   order URL STATUS
 *   txt _acme-challenge.NAME VALUE     (one per pending authorization)
 *   publish                            (then waits for a line on stdin)
 *   valid NAME                         (each authorization)
 *   certificate N                      (the chain, N certificates)
 *   ari window START END | ari STATUS-TEXT   (renewalInfo of it)
 *   done
 * or "error STEP: STATUS-TEXT" (with " retry-after +N" when the CA
 * said when to come back) and exit 1. The chain goes to --out as PEM.
 * The CSR is made here, with every name as a SAN. --ari F asks for the
 * renewalInfo of the PEM certificate F right after the account (printing
 * "ari window START END retry-after +N") before ordering; --replaces and
 * --profile go into the newOrder; --http allows plain http:// URLs.
 *   acme_run --directory URL [--ca-file F] --key F [--key-type T]
 *            [--email E] [--eab KID:HMAC] [--profile P] [--replaces ID]
 *            [--ari F] [--http] [--out F] [--debug] [--account-only]
 *            NAME... */
#include "acmeclient.h"
#include "log.h"

#include <dnsd/certreq.h>
#include <dnsd/err.h>

#include <getopt.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct event_base *base;
static acmeclient *client;
static int status = 1;
static const char *const *names;
static size_t nnames;
static const char *profile, *out_file, *replaces, *ari_file;
static bool account_only;

typedef struct run {
	char *order_url, *finalize_url;
	char **authz;
	size_t nauthz, pending;
	char **chall;       /* the dns-01 challenge of each pending one */
	char **chall_authz; /* and its authorization (in authz) */
	size_t nchall, answered;
	struct event *stdin_ev;
} run;

static run R;

static void fail(const char *step, const acmeclient_status *st)
{
	char buf[1024];
	printf("error %s: %s", step,
	       acmeclient_status_text(st, buf, sizeof buf));
	if (st->retry_after)
		printf(" retry-after +%lld",
		       (long long)(st->retry_after - time(NULL)));
	printf("\n");
	event_base_loopexit(base, NULL);
}

static void failx(const char *step, const char *what)
{
	printf("error %s: %s\n", step, what);
	event_base_loopexit(base, NULL);
}

/* A DER CSR for the names, with a fresh P-256 key. */
static int make_csr(uint8_t **der, int *len)
{
	EVP_PKEY *k;
	if (dnsd_certkey_new(DNSD_CERTKEY_EC256, &k) < 0)
		return -1;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_REQ_get_subject_name(req);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                           (const unsigned char *)names[0], -1, -1, 0);
	char san[4096] = "";
	size_t off = 0;
	for (size_t i = 0; i < nnames; i++)
		off += (size_t)snprintf(san + off, sizeof san - off, "%sDNS:%s",
		                        i ? "," : "", names[i]);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *e =
	    X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	sk_X509_EXTENSION_push(exts, e);
	X509_REQ_add_extensions(req, exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_set_pubkey(req, k);
	int rc = X509_REQ_sign(req, k, EVP_sha256()) > 0 ? 0 : -1;
	*der = NULL;
	*len = rc == 0 ? i2d_X509_REQ(req, der) : -1;
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return *len > 0 ? 0 : -1;
}

static void write_chain(const dnsd_acme_chain *c)
{
	FILE *f = fopen(out_file, "w");
	if (!f)
		return;
	for (size_t i = 0; i < c->n; i++) {
		const uint8_t *p = c->certs[i].der;
		X509 *x = d2i_X509(NULL, &p, (long)c->certs[i].len);
		if (x)
			PEM_write_X509(f, x);
		X509_free(x);
	}
	fclose(f);
}

static void on_ari(void *ctx, const acmeclient_status *st,
                   const dnsd_acme_renewal *ri)
{
	char buf[1024];
	(void)ctx;
	if (ri)
		printf("ari window %lld %lld\n", (long long)ri->start,
		       (long long)ri->end);
	else
		printf("ari %s\n", acmeclient_status_text(st, buf, sizeof buf));
	printf("done\n");
	status = 0;
	event_base_loopexit(base, NULL);
}

static void on_chain(void *ctx, const acmeclient_status *st,
                     const dnsd_acme_chain *chain)
{
	(void)ctx;
	if (!chain) {
		fail("certificate", st);
		return;
	}
	printf("certificate %zu\n", chain->n);
	if (out_file)
		write_chain(chain);
	if (acmeclient_renewal_info(client, chain->certs[0].der,
	                            chain->certs[0].len, on_ari, NULL,
	                            NULL) < 0)
		failx("ari", "cannot start");
}

static void on_valid(void *ctx, const acmeclient_status *st, const char *url,
                     const dnsd_acme_order *o)
{
	(void)ctx;
	(void)url;
	if (st->rc < 0) {
		fail("order", st);
		return;
	}
	printf("order %s %s\n", url, dnsd_acme_status_name(o->status));
	if (acmeclient_certificate(client, o->certificate, on_chain, NULL,
	                           NULL) < 0)
		failx("certificate", "cannot start");
}

static void on_finalized(void *ctx, const acmeclient_status *st,
                         const char *url, const dnsd_acme_order *o)
{
	(void)ctx;
	(void)o;
	if (st->rc < 0) {
		fail("finalize", st);
		return;
	}
	if (acmeclient_poll_order(client, url, DNSD_ACME_BIT(DNSD_ACME_VALID),
	                          30, on_valid, NULL, NULL) < 0)
		failx("order", "cannot start");
}

static void on_ready(void *ctx, const acmeclient_status *st, const char *url,
                     const dnsd_acme_order *o)
{
	uint8_t *der;
	int len;
	(void)ctx;
	if (st->rc < 0) {
		fail("order", st);
		return;
	}
	printf("order %s %s\n", url, dnsd_acme_status_name(o->status));
	if (make_csr(&der, &len) < 0) {
		failx("csr", "cannot make the CSR");
		return;
	}
	if (o->status == DNSD_ACME_VALID)
		on_finalized(NULL, st, url, o);
	else if (acmeclient_finalize(client, url, o->finalize, der, (size_t)len,
	                             on_finalized, NULL, NULL) < 0)
		failx("finalize", "cannot start");
	OPENSSL_free(der);
}

static void poll_ready(void)
{
	if (acmeclient_poll_order(client, R.order_url,
	                          DNSD_ACME_BIT(DNSD_ACME_READY) |
	                              DNSD_ACME_BIT(DNSD_ACME_VALID),
	                          30, on_ready, NULL, NULL) < 0)
		failx("order", "cannot start");
}

static void on_authz_valid(void *ctx, const acmeclient_status *st,
                           const dnsd_acme_authz *a)
{
	(void)ctx;
	if (st->rc < 0) {
		fail("authorization", st);
		return;
	}
	printf("valid %s%s\n", a->wildcard ? "*." : "", a->id.value);
	if (++R.answered == R.nchall)
		poll_ready();
}

static void on_responded(void *ctx, const acmeclient_status *st,
                         const dnsd_acme_challenge *ch)
{
	const char *authz_url = ctx;
	if (st->rc < 0) {
		fail("challenge", st);
		return;
	}
	(void)ch;
	if (acmeclient_poll_authz(client, authz_url,
	                          DNSD_ACME_BIT(DNSD_ACME_VALID), 30,
	                          on_authz_valid, NULL, NULL) < 0)
		failx("authorization", "cannot start");
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	char buf[256];
	(void)what;
	(void)arg;
	ssize_t n = read(fd, buf, sizeof buf);
	if (n > 0 && !memchr(buf, '\n', (size_t)n))
		return;
	event_free(R.stdin_ev);
	R.stdin_ev = NULL;
	if (R.nchall == 0) {
		poll_ready();
		return;
	}
	for (size_t i = 0; i < R.nchall; i++)
		if (acmeclient_respond(client, R.chall[i], on_responded,
		                       R.chall_authz[i], NULL) < 0)
			failx("challenge", "cannot start");
}

static void publish(void)
{
	printf("publish\n");
	R.stdin_ev = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, NULL);
	event_add(R.stdin_ev, NULL);
}

static void on_authz(void *ctx, const acmeclient_status *st,
                     const dnsd_acme_authz *a)
{
	size_t i = (size_t)(uintptr_t)ctx;
	if (st->rc < 0) {
		fail("authorization", st);
		return;
	}
	if (a->status == DNSD_ACME_PENDING) {
		const dnsd_acme_challenge *ch =
		    dnsd_acme_authz_challenge(a, "dns-01");
		char txt[DNSD_ACME_B64_SHA256 + 1];
		if (!ch || acmeclient_dns01_value(client, ch->token, txt) < 0) {
			failx("authorization", "no dns-01 challenge");
			return;
		}
		printf("txt _acme-challenge.%s %s\n", a->id.value, txt);
		R.chall_authz[R.nchall] = R.authz[i];
		R.chall[R.nchall++] = strdup(ch->url);
	} else if (a->status != DNSD_ACME_VALID) {
		failx("authorization", dnsd_acme_status_name(a->status));
		return;
	}
	if (++R.pending == R.nauthz)
		publish();
}

static void on_order(void *ctx, const acmeclient_status *st, const char *url,
                     const dnsd_acme_order *o)
{
	(void)ctx;
	if (st->rc < 0) {
		fail("newOrder", st);
		return;
	}
	printf("order %s %s\n", url, dnsd_acme_status_name(o->status));
	R.order_url = strdup(url);
	R.nauthz = o->nauthz;
	R.authz = calloc(o->nauthz + 1, sizeof *R.authz);
	R.chall = calloc(o->nauthz + 1, sizeof *R.chall);
	R.chall_authz = calloc(o->nauthz + 1, sizeof *R.chall_authz);
	for (size_t i = 0; i < o->nauthz; i++)
		R.authz[i] = strdup(o->authz[i]);
	if (o->nauthz == 0)
		publish();
	for (size_t i = 0; i < o->nauthz; i++)
		if (acmeclient_get_authz(client, R.authz[i], on_authz,
		                         (void *)(uintptr_t)i, NULL) < 0)
			failx("authorization", "cannot start");
}

static void new_order(void)
{
	if (acmeclient_new_order(client, names, nnames, replaces, profile,
	                         on_order, NULL, NULL) < 0)
		failx("newOrder", "cannot start");
}

static void on_first_ari(void *ctx, const acmeclient_status *st,
                         const dnsd_acme_renewal *ri)
{
	(void)ctx;
	if (!ri) {
		fail("ari", st);
		return;
	}
	printf("ari window %lld %lld retry-after +%lld\n", (long long)ri->start,
	       (long long)ri->end,
	       (long long)(st->retry_after ? st->retry_after - time(NULL) : 0));
	new_order();
}

/* The renewalInfo of the certificate of --ari, before ordering. */
static void first_ari(void)
{
	FILE *f = fopen(ari_file, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	uint8_t *der = NULL;
	int len = x ? i2d_X509(x, &der) : -1;
	if (f)
		fclose(f);
	X509_free(x);
	if (len <= 0 || acmeclient_renewal_info(client, der, (size_t)len,
	                                        on_first_ari, NULL, NULL) < 0)
		failx("ari", "cannot start");
	OPENSSL_free(der);
}

static void on_account(void *ctx, const acmeclient_status *st, const char *url,
                       bool created)
{
	(void)ctx;
	if (st->rc < 0) {
		fail("account", st);
		return;
	}
	printf("account %s %s\n", created ? "created" : "existing", url);
	if (account_only) {
		printf("done\n");
		status = 0;
		event_base_loopexit(base, NULL);
		return;
	}
	if (ari_file)
		first_ari();
	else
		new_order();
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"directory", required_argument, NULL, 'd'},
	    {"ca-file", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"key-type", required_argument, NULL, 't'},
	    {"email", required_argument, NULL, 'e'},
	    {"eab", required_argument, NULL, 'b'},
	    {"profile", required_argument, NULL, 'p'},
	    {"out", required_argument, NULL, 'o'},
	    {"debug", no_argument, NULL, 'D'},
	    {"account-only", no_argument, NULL, 'A'},
	    {"replaces", required_argument, NULL, 'r'},
	    {"ari", required_argument, NULL, 'a'},
	    {"http", no_argument, NULL, 'H'},
	    {NULL, 0, NULL, 0},
	};
	acmeclient_opts o = {0};
	char *eab = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.directory = optarg;
			break;
		case 'c':
			o.ca_file = optarg;
			break;
		case 'k':
			o.key_file = optarg;
			break;
		case 't':
			o.key_type = optarg;
			break;
		case 'e':
			o.email = optarg;
			break;
		case 'b':
			eab = optarg;
			break;
		case 'p':
			profile = optarg;
			break;
		case 'o':
			out_file = optarg;
			break;
		case 'D':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'A':
			account_only = true;
			break;
		case 'r':
			replaces = optarg;
			break;
		case 'a':
			ari_file = optarg;
			break;
		case 'H':
			o.allow_http = true;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc && !account_only) {
		fprintf(stderr, "usage: acme_run --directory URL --key F "
		                "[options] NAME...\n");
		return 2;
	}
	if (eab) {
		char *colon = strchr(eab, ':');
		if (!colon) {
			fprintf(stderr, "--eab KID:HMAC\n");
			return 2;
		}
		*colon = '\0';
		o.eab_kid = eab;
		o.eab_hmac = colon + 1;
	}
	names = (const char *const *)argv + optind;
	nnames = (size_t)(argc - optind);
	setvbuf(stdout, NULL, _IOLBF, 0);
	base = event_base_new();
	char why[256];
	int rc = acmeclient_new(base, &o, &client, why, sizeof why);
	if (rc < 0) {
		printf("error setup: %s (%s)\n", why, dnsd_strerror(rc));
		event_base_free(base);
		return 1;
	}
	if (acmeclient_account(client, on_account, NULL, NULL) < 0)
		return 1;
	event_base_dispatch(base);
	acmeclient_free(client);
	if (R.stdin_ev)
		event_free(R.stdin_ev);
	for (size_t i = 0; i < R.nauthz; i++) {
		free(R.authz[i]);
		free(R.chall[i]);
	}
	free(R.authz);
	free(R.chall);
	free(R.chall_authz);
	free(R.order_url);
	event_base_free(base);
	return status;
}

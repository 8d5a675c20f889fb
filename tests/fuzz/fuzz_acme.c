/* Fuzz target: the ACME responses the client parses (acme.h). The first
 * octet selects the parser (modulo the table), the rest is the body as
 * a CA would send it. Checked: no crash or leak, a reason on every
 * refusal, and a result that holds together: the required fields there
 * and within their bounds, a wildcard-free authorization identifier, a
 * renewal window that ends after it starts, chains of parsed
 * certificates; base64url and RFC 3339 times round-trip or refuse. */
#include <dnsd/acme.h>
#include <dnsd/err.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void refused(int rc, const char *why)
{
	ASSERT(rc == DNSD_EMALFORM || rc == DNSD_ENOMEM);
	ASSERT(rc == DNSD_ENOMEM || why[0]);
}

static void fuzz_directory(const char *d, size_t n)
{
	dnsd_acme_directory x;
	char why[128] = "";
	int rc = dnsd_acme_directory_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		ASSERT(!x.new_nonce && !x.profiles);
		return;
	}
	ASSERT(x.new_nonce && x.new_account && x.new_order);
	ASSERT(strlen(x.new_nonce) <= DNSD_ACME_MAX_URL);
	for (size_t i = 0; i < x.nprofiles; i++)
		ASSERT(dnsd_acme_directory_has_profile(&x, x.profiles[i]));
	dnsd_acme_directory_free(&x);
}

static void fuzz_account(const char *d, size_t n)
{
	dnsd_acme_account x;
	char why[128] = "";
	int rc = dnsd_acme_account_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		return;
	}
	ASSERT(x.status == DNSD_ACME_VALID ||
	       x.status == DNSD_ACME_DEACTIVATED ||
	       x.status == DNSD_ACME_REVOKED);
	dnsd_acme_account_free(&x);
}

static void check_problem(const dnsd_acme_problem *p)
{
	ASSERT(p->status == 0 || (p->status >= 100 && p->status <= 599));
	ASSERT(!p->detail || strlen(p->detail) <= DNSD_ACME_MAX_TEXT);
	for (const char *c = p->detail; c && *c; c++)
		ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
	ASSERT(p->nsub <= DNSD_ACME_MAX_SUB);
	for (size_t i = 0; i < p->nsub; i++)
		ASSERT(!p->sub[i].id.type == !p->sub[i].id.value);
}

static void fuzz_order(const char *d, size_t n)
{
	dnsd_acme_order x;
	char why[128] = "";
	int rc = dnsd_acme_order_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		ASSERT(!x.ids && !x.authz && !x.error);
		return;
	}
	ASSERT(x.nids >= 1 && x.nids <= DNSD_ACME_MAX_IDS);
	ASSERT(x.nauthz <= DNSD_ACME_MAX_IDS && x.finalize);
	for (size_t i = 0; i < x.nids; i++)
		ASSERT(x.ids[i].type && x.ids[i].value);
	for (size_t i = 0; i < x.nauthz; i++)
		ASSERT(strncmp(x.authz[i], "http", 4) == 0);
	ASSERT(x.status != DNSD_ACME_VALID || x.certificate);
	if (x.error)
		check_problem(x.error);
	dnsd_acme_order_free(&x);
}

static void check_challenge(const dnsd_acme_challenge *c)
{
	ASSERT(c->type && c->url && c->status);
	if (strcmp(c->type, "dns-01") == 0) {
		char txt[DNSD_ACME_B64_SHA256 + 1];
		ASSERT(c->token);
		ASSERT(dnsd_acme_dns01_txt(
		           c->token,
		           "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
		           txt) == 0);
	}
	if (c->error)
		check_problem(c->error);
}

static void fuzz_authz(const char *d, size_t n)
{
	dnsd_acme_authz x;
	char why[128] = "";
	int rc = dnsd_acme_authz_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		ASSERT(!x.ch && !x.id.value);
		return;
	}
	ASSERT(x.id.value && !strchr(x.id.value, '*'));
	ASSERT(x.nch <= DNSD_ACME_MAX_CHALL);
	for (size_t i = 0; i < x.nch; i++)
		check_challenge(&x.ch[i]);
	dnsd_acme_authz_free(&x);
}

static void fuzz_challenge(const char *d, size_t n)
{
	dnsd_acme_challenge x;
	char why[128] = "";
	int rc = dnsd_acme_challenge_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		return;
	}
	check_challenge(&x);
	dnsd_acme_challenge_free(&x);
}

static void fuzz_problem(const char *d, size_t n)
{
	dnsd_acme_problem x;
	char why[128] = "";
	int rc = dnsd_acme_problem_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		return;
	}
	check_problem(&x);
	dnsd_acme_problem_free(&x);
}

static void fuzz_renewal(const char *d, size_t n)
{
	dnsd_acme_renewal x;
	char why[128] = "";
	int rc = dnsd_acme_renewal_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		return;
	}
	ASSERT(x.start < x.end);
	dnsd_acme_renewal_free(&x);
}

static void fuzz_chain(const char *d, size_t n)
{
	dnsd_acme_chain x;
	char why[128] = "";
	int rc = dnsd_acme_chain_parse(d, n, &x, why, sizeof why);
	if (rc < 0) {
		refused(rc, why);
		ASSERT(x.n == 0 && !x.certs);
		return;
	}
	ASSERT(x.n >= 1 && x.n <= DNSD_ACME_MAX_CHAIN);
	for (size_t i = 0; i < x.n; i++) {
		char *id = NULL;
		rc = dnsd_acme_ari_certid(x.certs[i].der, x.certs[i].len, &id);
		ASSERT(rc == 0 || rc == DNSD_ENOTFOUND || rc == DNSD_ENOMEM);
		ASSERT(rc != 0 || (id && strchr(id, '.')));
		free(id);
	}
	dnsd_acme_chain_free(&x);
}

/* base64url and times: decode, encode back, the same text. */
static void fuzz_text(const char *d, size_t n)
{
	uint8_t *bin = malloc(n + 1);
	int len = dnsd_acme_b64url_decode(d, n, bin, n + 1);
	if (len >= 0) {
		char *back = dnsd_acme_b64url(bin, (size_t)len);
		ASSERT(back && strlen(back) == n && memcmp(back, d, n) == 0);
		free(back);
	} else {
		ASSERT(len == DNSD_ESYNTAX);
	}
	free(bin);
	char t[80];
	size_t tn = n < sizeof t - 1 ? n : sizeof t - 1;
	memcpy(t, d, tn);
	t[tn] = '\0';
	time_t when;
	int rc = dnsd_acme_parse_time(t, &when);
	ASSERT(rc == 0 || rc == DNSD_ESYNTAX || rc == DNSD_ERANGE);
}

static void (*const parsers[])(const char *, size_t) = {
    fuzz_directory, fuzz_account, fuzz_order, fuzz_authz, fuzz_challenge,
    fuzz_problem,   fuzz_renewal, fuzz_chain, fuzz_text,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > DNSD_ACME_MAX_INPUT)
		return 0;
	size_t which = data[0] % (sizeof parsers / sizeof parsers[0]);
	parsers[which]((const char *)data + 1, size - 1);
	return 0;
}

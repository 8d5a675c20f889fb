/* TSIG key files: names, loading, every refusal with its FILE:LINE:COL,
 * and no secret in any diagnostic. */
#include "tap.h"
#include <dnsd/err.h>
#include <dnsd/keys.h>
#include <dnsd/name.h>
#include <stdlib.h>
#include <string.h>

#define S32 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define S64                                                                    \
	"ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKTlJW"  \
	"Wl5iZmpucnZ6foKGiow=="
#define SECRET "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" /* "secret" x 4 */
#define S129                                                                   \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

typedef struct diagrec {
	unsigned line, col;
	char file[128];
	char msg[512];
	char text[512];
} diagrec;

static diagrec diags[50];
static int ndiag;

static void on_diag(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (ndiag >= 50)
		return;
	diagrec *r = &diags[ndiag++];
	r->line = d->line;
	r->col = d->col;
	snprintf(r->file, sizeof r->file, "%s", d->file ? d->file : "");
	snprintf(r->msg, sizeof r->msg, "%s", d->msg);
	size_t n = d->text_len < 511 ? d->text_len : 511;
	if (d->text)
		memcpy(r->text, d->text, n);
	r->text[d->text ? n : 0] = 0;
}

static const char *file_text;

static int read_mem(void *ctx, const char *path, char **buf, size_t *len)
{
	(void)ctx;
	(void)path;
	*len = strlen(file_text);
	*buf = malloc(*len + 1);
	memcpy(*buf, file_text, *len + 1);
	return 0;
}

static dnsd_zf_result res;

static int load(const char *path, const char *zone, const char *text,
                dnsd_keylist *l)
{
	uint8_t z[DNSD_NAME_MAX];
	dnsd_name_from_text(zone, strlen(zone), NULL, z);
	dnsd_zf_opts o = {.diag = on_diag, .read = read_mem};
	file_text = text;
	ndiag = 0;
	return dnsd_keyfile_load(path, z, &o, l, &res);
}

#define EXPECT_DIAG(i, ln, cl, m)                                              \
	do {                                                                   \
		CHECK((i) < ndiag);                                            \
		if ((i) < ndiag) {                                             \
			CHECK_INT(diags[i].line, ln);                          \
			CHECK_INT(diags[i].col, cl);                           \
			CHECK_STR(diags[i].msg, m);                            \
		}                                                              \
	} while (0)

static void test_names(void)
{
	const char *z = NULL;
	size_t len = 99;
	CHECK(dnsd_keyfile_name("zones/example.org._keys", &z, &len));
	CHECK_INT(len, 11);
	CHECK(z && strncmp(z, "example.org", len) == 0);
	CHECK(dnsd_keyfile_name("_keys", &z, &len));
	CHECK_INT(len, 0);
	CHECK(dnsd_keyfile_name("/srv/repo/_keys", NULL, NULL));
	CHECK(dnsd_keyfile_name("a.b.c._keys", &z, &len));
	CHECK_INT(len, 5);
	CHECK(!dnsd_keyfile_name("example.org", &z, &len));
	CHECK(!dnsd_keyfile_name("x_keys", &z, &len));
	CHECK(!dnsd_keyfile_name("example.org._keys.bak", &z, &len));
	CHECK(!dnsd_keyfile_name("_keys/example.org", &z, &len));
	CHECK(!dnsd_keyfile_name("", &z, &len));
}

static void test_load(void)
{
	dnsd_keylist l = {0};
	int r = load("_keys", ".",
	             "; keys for every zone\n"
	             "admin._update. DNSKEY 0 3 165 " S64 "\n"
	             "Personal._Update.Example.Org. 3600 IN DNSKEY 0 3 163 (\n"
	             "    AQIDBAUGBwgJCgsMDQ4PEBES\n"
	             "    ExQVFhcYGRobHB0eHyA= )\n"
	             "same._notify. DNSKEY 0 3 161 " SECRET "\n"
	             "same._notify. DNSKEY 0 3 161 " SECRET "\n",
	             &l);
	CHECK_INT(r, 0);
	CHECK_INT(ndiag, 0);
	CHECK_INT(l.count, 3);
	if (l.count == 3) {
		char name[300];
		dnsd_name_to_text(l.keys[0].name, name, sizeof name);
		CHECK_STR(name, "admin._update.");
		CHECK_INT(l.keys[0].alg, DNSD_ALG_HMAC_SHA512);
		CHECK_INT(l.keys[0].secret_len, 64);
		CHECK_INT(l.keys[0].secret[0], 100);
		CHECK_INT(l.keys[0].secret[63], 163);
		dnsd_name_to_text(l.keys[1].name, name, sizeof name);
		CHECK_STR(name, "personal._update.example.org.");
		CHECK_INT(l.keys[1].alg, DNSD_ALG_HMAC_SHA256);
		CHECK_INT(l.keys[1].secret_len, 32);
		CHECK_INT(l.keys[1].secret[0], 1);
		CHECK_INT(l.keys[1].secret[31], 32);
		CHECK_INT(l.keys[2].alg, DNSD_ALG_HMAC_SHA1);
		CHECK(memcmp(l.keys[2].secret, "secretsecretsecretsecret",
		             24) == 0);
	}

	/* a zone's file appends; relative names are in its zone */
	r = load("example.org._keys", "example.org.",
	         "x._transfer DNSKEY 0 3 164 " S32 "\n"
	         "@ DNSKEY 0 3 162 " S32 "\n",
	         &l);
	CHECK_INT(r, 0);
	CHECK_INT(l.count, 5);
	if (l.count == 5) {
		char name[300];
		dnsd_name_to_text(l.keys[3].name, name, sizeof name);
		CHECK_STR(name, "x._transfer.example.org.");
		CHECK_INT(l.keys[3].alg, DNSD_ALG_HMAC_SHA384);
		dnsd_name_to_text(l.keys[4].name, name, sizeof name);
		CHECK_STR(name, "example.org.");
	}
	dnsd_keylist_free(&l);
	CHECK(l.keys == NULL);
	CHECK_INT(l.count, 0);
}

static void test_refusals(void)
{
	dnsd_keylist l = {0};
	CHECK_INT(
	    load("_keys", ".", "ok._update. DNSKEY 0 3 163 " S32 "\n", &l), 0);
	CHECK_INT(l.count, 1);
	int r = load("zones/example.org._keys", "example.org.",
	             "good._update DNSKEY 0 3 163 " S32 "\n"
	             "evil._update.other.org. DNSKEY 0 3 163 " S32 "\n"
	             "a NS ns\n"
	             "b DNSKEY 256 3 163 " S32 "\n"
	             "c DNSKEY 0 4 163 " S32 "\n"
	             "d DNSKEY 0 3 8 " S32 "\n"
	             "e DNSKEY 0 3 163 " S129 "\n"
	             "f DNSKEY \\# 4 00000300\n"
	             "good._update DNSKEY 0 3 163 " SECRET "\n"
	             "g DNSKEY \\# 4 01000300\n"
	             "h DNSKEY \\# 4 000003a3\n",
	             &l);
	CHECK_INT(r, DNSD_ESYNTAX);
	CHECK_INT(res.errors, 10);
	CHECK_INT(ndiag, 10);
	EXPECT_DIAG(0, 2, 1,
	            "key 'evil._update.other.org.' is outside zone "
	            "'example.org.' of this key file");
	CHECK_STR(diags[0].file, "zones/example.org._keys");
	EXPECT_DIAG(1, 3, 3,
	            "expected a DNSKEY record in a key file, found NS");
	EXPECT_DIAG(2, 4, 10,
	            "expected DNSKEY flags 0 in a key file, found 256");
	EXPECT_DIAG(3, 5, 12, "expected DNSKEY protocol 3, found 4");
	EXPECT_DIAG(
	    4, 6, 14,
	    "expected an HMAC algorithm 161..165 in a key file, found 8");
	EXPECT_DIAG(5, 7, 18, "key secret longer than 128 octets");
	/* the RFC 3597 form has no token per field: errors point at \# */
	EXPECT_DIAG(
	    6, 8, 10,
	    "expected an HMAC algorithm 161..165 in a key file, found 0");
	EXPECT_DIAG(7, 9, 1,
	            "key 'good._update.example.org.' is already defined with "
	            "another algorithm or secret");
	EXPECT_DIAG(8, 10, 10,
	            "expected DNSKEY flags 0 in a key file, found 256");
	EXPECT_DIAG(9, 11, 10, "key without a secret");
	/* a file with errors adds nothing */
	CHECK_INT(l.count, 1);

	/* a missing top file */
	uint8_t root[1] = {0};
	dnsd_zf_opts o = {.diag = on_diag};
	ndiag = 0;
	CHECK_INT(dnsd_keyfile_load("/nonexistent/_keys", root, &o, &l, &res),
	          DNSD_EIO);
	CHECK_INT(ndiag, 1);
	CHECK_INT(l.count, 1);
	dnsd_keylist_free(&l);
}

static void test_no_secret_shown(void)
{
	dnsd_keylist l = {0};
	int r = load("_keys", ".",
	             "a. DNSKEY 0 3 8 " SECRET "\n"
	             "b. DNSKY 0 3 163 " SECRET "\n"
	             "c. DNSKEY 0 3 163 c2VjcmV0c2VjcmV0!2VjcmV0c2VjcmV0\n"
	             "d. DNSKEY 0 3 163 " SECRET " \"x\n"
	             "e. FOO DNSKEY 0 3 163 " SECRET "\n",
	             &l);
	CHECK_INT(r, DNSD_ESYNTAX);
	CHECK_INT(ndiag, 5);
	for (int i = 0; i < ndiag; i++) {
		CHECK(strstr(diags[i].msg, "c2VjcmV0c2Vj") == NULL);
		CHECK(strstr(diags[i].text, "c2VjcmV0c2Vj") == NULL);
		CHECK(strstr(diags[i].text, "****************") != NULL);
	}
	EXPECT_DIAG(1, 2, 4, "unknown RR type 'DNSKY'");
	CHECK_STR(diags[0].text,
	          "a. DNSKEY 0 3 8 ********************************");
	CHECK_INT(l.count, 0);
	dnsd_keylist_free(&l);
}

static void test_data_file(void)
{
	dnsd_keylist l = {0};
	uint8_t z[DNSD_NAME_MAX];
	dnsd_name_from_text("example.", 8, NULL, z);
	dnsd_zf_opts o = {.diag = on_diag};
	ndiag = 0;
	int r = dnsd_keyfile_load(DNSD_TEST_DATA "/zonefile/example._keys", z,
	                          &o, &l, &res);
	CHECK_INT(r, 0);
	CHECK_INT(ndiag, 0);
	CHECK_INT(l.count, 2);
	if (l.count == 2) {
		char name[300];
		dnsd_name_to_text(l.keys[1].name, name, sizeof name);
		CHECK_STR(name, "ns2.ns1._transfer.example.");
	}
	dnsd_keylist_free(&l);
	/* NULL options and zone: the root, diagnostics to stderr */
	r = dnsd_keyfile_load(DNSD_TEST_DATA "/zonefile/example._keys", NULL,
	                      NULL, &l, &res);
	CHECK_INT(r, 0);
	CHECK_INT(l.count, 2);
	dnsd_keylist_free(&l);
}

int main(void)
{
	test_names();
	test_load();
	test_refusals();
	test_no_secret_shown();
	test_data_file();
	return tap_done();
}

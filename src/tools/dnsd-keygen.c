/* dnsd-keygen: a fresh TSIG key for the key scheme of DESIGN.md, printed
 * in the three forms people paste it in: the DNSKEY line of a `_keys`
 * file, NAME:ALG:SECRET for the command line and dnsd.conf, and a BIND
 * key clause for named.conf and `nsupdate -k`. The secret comes from
 * OpenSSL's CSPRNG, as long as the hash output (RFC 2104 §3).
 *
 * Exit status: 0 done, 1 no randomness or output failed, 2 usage. */
#include <dnsd/err.h>
#include <dnsd/keys.h>
#include <dnsd/keystore.h>
#include <dnsd/name.h>

#include <getopt.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage_text[] =
    "usage: dnsd-keygen [--algorithm sha256|sha384|sha512] "
    "[--format FORM] NAME\n"
    "  -a, --algorithm ALG  HMAC: sha256 (default, 32-octet secret),\n"
    "                       sha384 (48) or sha512 (64)\n"
    "  -f, --format FORM    all (default), dnskey, text or bind\n"
    "  -h, --help           this text\n"
    "  -V, --version        print the version\n"
    "NAME grants by its labels: NAME._update.ZONE may update, transfer\n"
    "and notify ZONE and below, _transfer transfer and notify, _notify\n"
    "notify only.\n"
    "Exit status: 0 done, 1 failure, 2 usage error.\n";

static const struct option long_opts[] = {
    {"algorithm", required_argument, NULL, 'a'},
    {"format", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The algorithms offered, with the secret length of each. */
static const struct {
	const char *name;
	uint8_t alg;
	uint16_t len;
} keygen_algs[] = {
    {"sha256", DNSD_ALG_HMAC_SHA256, 32},
    {"sha384", DNSD_ALG_HMAC_SHA384, 48},
    {"sha512", DNSD_ALG_HMAC_SHA512, 64},
};

enum { FORM_DNSKEY = 1, FORM_TEXT = 2, FORM_BIND = 4, FORM_ALL = 7 };

static const struct {
	const char *name;
	int form;
} keygen_forms[] = {
    {"all", FORM_ALL},
    {"dnskey", FORM_DNSKEY},
    {"text", FORM_TEXT},
    {"bind", FORM_BIND},
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "dnsd-keygen: %s\n%s", msg, usage_text);
	return 2;
}

/* Prints the forms of k asked for; false when the output failed. */
static bool keygen_print(const dnsd_key *k, int form)
{
	char name[DNSD_NAME_TEXT_MAX], b64[DNSD_KEY_SECRET_MAX * 2],
	    text[DNSD_NAME_TEXT_MAX + DNSD_KEY_SECRET_MAX * 2];
	bool ok = dnsd_name_to_text(k->name, name, sizeof name) > 0 &&
	          dnsd_key_b64_encode(k->secret, k->secret_len, b64,
	                              sizeof b64) > 0 &&
	          dnsd_key_to_text(k, text, sizeof text) > 0;
	if (ok && (form & FORM_DNSKEY)) {
		if (form != FORM_DNSKEY)
			printf("; for a _keys or ZONE._keys file:\n");
		printf("%s DNSKEY 0 3 %u %s\n", name, k->alg, b64);
	}
	if (ok && (form & FORM_TEXT)) {
		if (form != FORM_TEXT)
			printf("; for dnsd-notify --key, dnsd.conf key:\n");
		printf("%s\n", text);
	}
	if (ok && (form & FORM_BIND)) {
		name[strlen(name) - 1] = 0; /* BIND names keys without it */
		if (form != FORM_BIND)
			printf("; for named.conf and nsupdate -k:\n");
		printf("key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n",
		       name, dnsd_key_alg_hmac(k->alg), b64);
	}
	explicit_bzero(b64, sizeof b64);
	explicit_bzero(text, sizeof text);
	return ok && fflush(stdout) == 0 && !ferror(stdout);
}

int main(int argc, char **argv)
{
	int c, ai = 0, form = FORM_ALL;
	static const uint8_t root[1] = {0};

	while ((c = getopt_long(argc, argv, "a:f:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'a': {
			const char *a = optarg;
			if (strncasecmp(a, "hmac-", 5) == 0)
				a += 5;
			ai = -1;
			for (size_t i = 0;
			     i < sizeof keygen_algs / sizeof keygen_algs[0];
			     i++)
				if (strcasecmp(a, keygen_algs[i].name) == 0)
					ai = (int)i;
			if (ai < 0)
				return usage_error("--algorithm: expected "
				                   "sha256, sha384 or sha512");
			break;
		}
		case 'f':
			form = 0;
			for (size_t i = 0;
			     i < sizeof keygen_forms / sizeof keygen_forms[0];
			     i++)
				if (strcmp(optarg, keygen_forms[i].name) == 0)
					form = keygen_forms[i].form;
			if (!form)
				return usage_error("--format: expected all, "
				                   "dnskey, text or bind");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("dnsd-keygen %s\n", DNSD_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind + 1 != argc)
		return usage_error(optind == argc ? "no NAME given"
		                                  : "one NAME only");

	dnsd_key k;
	memset(&k, 0, sizeof k);
	const char *n = argv[optind];
	if (dnsd_name_from_text(n, strlen(n), root, k.name) < 0 ||
	    dnsd_name_is_root(k.name))
		return usage_error("NAME is not a valid domain name");
	dnsd_name_lower(k.name);
	if (dnsd_key_op(k.name, NULL) == DNSD_KEY_OP_NONE)
		fprintf(stderr,
		        "dnsd-keygen: warning: '%s' has no _update, _transfer "
		        "or _notify label: dnsd grants it nothing\n",
		        n);
	k.alg = keygen_algs[ai].alg;
	k.secret_len = keygen_algs[ai].len;
	if (RAND_bytes(k.secret, k.secret_len) != 1) {
		fprintf(stderr, "dnsd-keygen: no random bytes from OpenSSL\n");
		return 1;
	}
	bool ok = keygen_print(&k, form);
	explicit_bzero(&k, sizeof k);
	if (!ok) {
		fprintf(stderr, "dnsd-keygen: cannot write the key\n");
		return 1;
	}
	return 0;
}

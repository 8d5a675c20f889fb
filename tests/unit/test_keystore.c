/* Unit tests for the key store and the key scheme (keystore.h): adding
 * and looking up keys, the replay memory, reloads that keep it, access
 * by operation and zone, addresses in transfer key names, base64, the
 * NAME:ALG:SECRET form, BIND key clauses and key files. */
#include "tap.h"

#include <dnsd/err.h>
#include <dnsd/keystore.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const uint8_t root[1] = {0};

static const uint8_t *N(const char *txt)
{
	static uint8_t bufs[4][DNSD_NAME_MAX];
	static int i;
	uint8_t *b = bufs[i++ & 3];
	CHECK(dnsd_name_from_text(txt, strlen(txt), root, b) > 0);
	return b;
}

static dnsd_key K(const char *name, uint8_t alg, uint8_t fill)
{
	dnsd_key k;
	memset(&k, 0, sizeof k);
	memcpy(k.name, N(name), dnsd_name_len(N(name)));
	k.alg = alg;
	k.secret_len = 32;
	memset(k.secret, fill, 32);
	return k;
}

static void test_store(void)
{
	dnsd_keystore *ks = dnsd_keystore_new();
	dnsd_key k = K("Personal._Update.Example.ORG", DNSD_ALG_HMAC_SHA256, 1);
	dnsd_key out;

	CHECK_INT(dnsd_keystore_add(ks, &k), 0);
	CHECK_INT(dnsd_keystore_add(ks, &k), 0); /* the same again */
	CHECK_INT(dnsd_keystore_count(ks), 1);
	dnsd_key other =
	    K("personal._update.example.org", DNSD_ALG_HMAC_SHA256, 2);
	CHECK_INT(dnsd_keystore_add(ks, &other), DNSD_EEXIST);
	other.alg = DNSD_ALG_HMAC_SHA512;
	other.secret[0] = 1;
	CHECK_INT(dnsd_keystore_add(ks, &other), DNSD_EEXIST);
	dnsd_key bad = K("x.example.org", 7, 1);
	CHECK_INT(dnsd_keystore_add(ks, &bad), DNSD_EINVAL);
	bad = K("x.example.org", DNSD_ALG_HMAC_SHA1, 1);
	bad.secret_len = 0;
	CHECK_INT(dnsd_keystore_add(ks, &bad), DNSD_EINVAL);

	CHECK_INT(
	    dnsd_keystore_get(ks, N("PERSONAL._update.example.org"), &out), 0);
	CHECK_INT(out.alg, DNSD_ALG_HMAC_SHA256);
	CHECK_INT(out.secret_len, 32);
	CHECK(dnsd_name_equal(out.name, N("personal._update.example.org")));
	CHECK_INT(out.name[1], 'p'); /* stored lower-cased */
	CHECK_INT(dnsd_keystore_get(ks, N("nobody.example.org"), &out),
	          DNSD_ENOTFOUND);

	/* many keys: the array grows */
	for (int i = 0; i < 40; i++) {
		char n[64];
		snprintf(n, sizeof n, "k%d._notify.example.org", i);
		dnsd_key x = K(n, DNSD_ALG_HMAC_SHA1, (uint8_t)i);
		CHECK_INT(dnsd_keystore_add(ks, &x), 0);
	}
	CHECK_INT(dnsd_keystore_count(ks), 41);
	uint8_t nm[DNSD_NAME_MAX];
	CHECK_INT(dnsd_keystore_name_at(ks, 40, nm), 0);
	CHECK(dnsd_name_equal(nm, N("k39._notify.example.org")));
	CHECK_INT(dnsd_keystore_name_at(ks, 41, nm), DNSD_ENOTFOUND);
	CHECK_INT(dnsd_keystore_get(ks, N("k7._notify.example.org"), &out), 0);
	CHECK_INT(out.secret[5], 7);

	dnsd_keylist l = {0};
	dnsd_keystore *ks2 = dnsd_keystore_new();
	size_t badi = 99;
	CHECK_INT(dnsd_keystore_add_list(ks2, &l, &badi), 0);
	dnsd_keystore_free(ks2);
	dnsd_keystore_free(ks);
	dnsd_keystore_free(NULL);
}

static void test_replay(void)
{
	dnsd_keystore *ks = dnsd_keystore_new();
	dnsd_key k = K("a._update.example.org", DNSD_ALG_HMAC_SHA256, 1);
	uint8_t name[DNSD_NAME_MAX];
	memcpy(name, N("a._update.example.org"), DNSD_NAME_MAX);
	uint8_t mac[32];
	memset(mac, 0xab, sizeof mac);
	dnsd_keystore_add(ks, &k);

	CHECK(!dnsd_keystore_replayed(ks, name, 1000, 300, mac, 32, 1000));
	CHECK(dnsd_keystore_replayed(ks, name, 1000, 300, mac, 32, 1001));
	CHECK(dnsd_keystore_replayed(ks, N("A._UPDATE.example.org"), 1000, 300,
	                             mac, 32, 1299));
	/* same MAC, other time; same time, other MAC: new */
	CHECK(!dnsd_keystore_replayed(ks, name, 1001, 300, mac, 32, 1001));
	mac[20] = 0; /* beyond the 16 octets kept: still the same pair */
	CHECK(dnsd_keystore_replayed(ks, name, 1001, 300, mac, 32, 1001));
	mac[0] = 0;
	CHECK(!dnsd_keystore_replayed(ks, name, 1001, 300, mac, 32, 1001));
	/* the answer of a remembered request, once recorded, for its
	 * retransmissions; the first recorded stays */
	CHECK_INT(dnsd_keystore_outcome(ks, name, 1001, mac, 32), -1);
	dnsd_keystore_set_outcome(ks, N("A._update.example.org"), 1001, mac, 32,
	                          5);
	CHECK_INT(dnsd_keystore_outcome(ks, name, 1001, mac, 32), 5);
	dnsd_keystore_set_outcome(ks, name, 1001, mac, 32, 0);
	CHECK_INT(dnsd_keystore_outcome(ks, name, 1001, mac, 32), 5);
	CHECK_INT(dnsd_keystore_outcome(ks, name, 1000, mac, 32), -1);
	dnsd_keystore_set_outcome(ks, N("b.example.org"), 1001, mac, 32, 3);
	CHECK_INT(dnsd_keystore_outcome(ks, N("b.example.org"), 1001, mac, 32),
	          -1);
	/* a key we do not hold remembers nothing */
	CHECK(!dnsd_keystore_replayed(ks, N("b.example.org"), 1, 300, mac, 32,
	                              1));
	CHECK(!dnsd_keystore_replayed(ks, N("b.example.org"), 1, 300, mac, 32,
	                              1));

	/* a full ring of live pairs: all remembered; one more drops the
	 * oldest written */
	dnsd_keystore *r = dnsd_keystore_new();
	dnsd_keystore_add(r, &k);
	for (int i = 0; i < DNSD_KEYSTORE_RING; i++) {
		mac[0] = (uint8_t)i;
		CHECK(
		    !dnsd_keystore_replayed(r, name, 5000, 300, mac, 32, 5000));
	}
	int remembered = 0;
	for (int i = 0; i < DNSD_KEYSTORE_RING; i++) {
		mac[0] = (uint8_t)i;
		remembered +=
		    dnsd_keystore_replayed(r, name, 5000, 300, mac, 32, 5001);
	}
	CHECK_INT(remembered, DNSD_KEYSTORE_RING);
	mac[0] = 0xee;
	CHECK(!dnsd_keystore_replayed(r, name, 5000, 300, mac, 32, 5001));
	mac[0] = 0;
	CHECK(!dnsd_keystore_replayed(r, name, 5000, 300, mac, 32, 5001));
	/* pairs whose window has passed free their slots first */
	mac[0] = 0xee;
	CHECK(!dnsd_keystore_replayed(r, name, 9000, 300, mac, 32, 9000));
	mac[0] = 5;
	CHECK(!dnsd_keystore_replayed(r, name, 5000, 300, mac, 32, 9000));
	dnsd_keystore_free(r);

	/* a reload keeps the memory of an unchanged key, not of a changed
	 * one */
	dnsd_keystore *next = dnsd_keystore_new();
	dnsd_key same = k,
	         changed = K("c._update.example.org", DNSD_ALG_HMAC_SHA256, 3);
	dnsd_keystore_add(ks, &changed);
	mac[0] = 0x11;
	CHECK(!dnsd_keystore_replayed(ks, name, 2000, 300, mac, 32, 2000));
	CHECK(!dnsd_keystore_replayed(ks, N("c._update.example.org"), 2000, 300,
	                              mac, 32, 2000));
	changed.secret[0] = 9;
	dnsd_keystore_add(next, &same);
	dnsd_keystore_add(next, &changed);
	dnsd_keystore_replace(ks, next);
	CHECK_INT(dnsd_keystore_count(next), 0);
	CHECK_INT(dnsd_keystore_count(ks), 2);
	CHECK(dnsd_keystore_replayed(ks, name, 2000, 300, mac, 32, 2001));
	CHECK(!dnsd_keystore_replayed(ks, N("c._update.example.org"), 2000, 300,
	                              mac, 32, 2001));
	dnsd_key out;
	CHECK_INT(dnsd_keystore_get(ks, N("c._update.example.org"), &out), 0);
	CHECK_INT(out.secret[0], 9);
	dnsd_keystore_free(next);
	dnsd_keystore_free(ks);
}

static void test_access(void)
{
	static const struct {
		const char *key;
		int op;
		const char *zone;
		bool ok;
	} t[] = {
	    {"personal._update.mirage", DNSD_KEY_OP_UPDATE, "mirage", true},
	    {"personal._update.mirage", DNSD_KEY_OP_TRANSFER, "mirage", true},
	    {"personal._update.mirage", DNSD_KEY_OP_NOTIFY, "mirage", true},
	    {"personal._update.mirage", DNSD_KEY_OP_NOTIFY, "sub.mirage", true},
	    {"personal._update.mirage", DNSD_KEY_OP_NOTIFY, "mirage.org",
	     false},
	    {"personal._update.mirage", DNSD_KEY_OP_NOTIFY, "xmirage", false},
	    {"personal._update.mirage", DNSD_KEY_OP_NOTIFY, ".", false},
	    {"x._transfer.example.org", DNSD_KEY_OP_UPDATE, "example.org",
	     false},
	    {"x._transfer.example.org", DNSD_KEY_OP_TRANSFER, "example.org",
	     true},
	    {"x._transfer.example.org", DNSD_KEY_OP_NOTIFY, "a.b.example.org",
	     true},
	    {"x._notify.example.org", DNSD_KEY_OP_NOTIFY, "example.org", true},
	    {"x._notify.example.org", DNSD_KEY_OP_TRANSFER, "example.org",
	     false},
	    {"x._notify.sub.example.org", DNSD_KEY_OP_NOTIFY, "example.org",
	     false},
	    {"root._update", DNSD_KEY_OP_UPDATE, "example.org", true},
	    {"root._update", DNSD_KEY_OP_UPDATE, ".", true},
	    {"root._notify", DNSD_KEY_OP_NOTIFY, "anything.at.all", true},
	    {"X._UPDATE.Example.Org", DNSD_KEY_OP_UPDATE, "EXAMPLE.org", true},
	    {"plain.example.org", DNSD_KEY_OP_NOTIFY, "example.org", false},
	    {"_updatex.example.org", DNSD_KEY_OP_NOTIFY, "example.org", false},
	    {"a._notify.b._update.example.org", DNSD_KEY_OP_UPDATE,
	     "example.org", false},
	    {"a._notify.b._update.example.org", DNSD_KEY_OP_NOTIFY,
	     "b._update.example.org", true},
	    {"personal._update.mirage", DNSD_KEY_OP_NONE, "mirage", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t key[DNSD_NAME_MAX];
		memcpy(key, N(t[i].key), DNSD_NAME_MAX);
		bool ok = dnsd_key_allows(key, t[i].op, N(t[i].zone));
		if (ok != t[i].ok)
			fprintf(stderr, "access %s %d %s\n", t[i].key, t[i].op,
			        t[i].zone);
		CHECK(ok == t[i].ok);
	}
	const uint8_t *z;
	CHECK_INT(dnsd_key_op(N("a._transfer.mirage"), &z),
	          DNSD_KEY_OP_TRANSFER);
	CHECK(dnsd_name_equal(z, N("mirage")));
	CHECK_INT(dnsd_key_op(N("a.mirage"), &z), DNSD_KEY_OP_NONE);
	CHECK(z == NULL);
	CHECK_STR(dnsd_key_op_name(DNSD_KEY_OP_UPDATE), "update");
	CHECK_STR(dnsd_key_op_name(DNSD_KEY_OP_NONE), "none");
}

static void test_addrs(void)
{
	dnsd_key_addrs a;
	CHECK_INT(dnsd_key_transfer_addrs(
	              N("10.0.42.2.10.0.42.3._transfer.mirage"), &a),
	          0);
	CHECK(a.has_primary && a.has_secondary);
	CHECK(memcmp(a.primary, "\x0a\x00\x2a\x02", 4) == 0);
	CHECK(memcmp(a.secondary, "\x0a\x00\x2a\x03", 4) == 0);

	CHECK_INT(dnsd_key_transfer_addrs(N("x.1.2.3.4._transfer.mirage"), &a),
	          0);
	CHECK(a.has_primary && !a.has_secondary);
	CHECK(memcmp(a.primary, "\x01\x02\x03\x04", 4) == 0);
	CHECK_INT(dnsd_key_transfer_addrs(N("1.2.3.4._transfer.mirage"), &a),
	          0);
	CHECK(a.has_primary && !a.has_secondary);
	/* nine octet labels: the last eight count */
	CHECK_INT(dnsd_key_transfer_addrs(
	              N("9.1.1.1.1.2.2.2.2._transfer.mirage"), &a),
	          0);
	CHECK(a.has_secondary && a.primary[0] == 1 && a.secondary[3] == 2);
	/* not addresses: 256, a leading zero, letters, too few labels */
	CHECK_INT(dnsd_key_transfer_addrs(N("1.2.3.256._transfer.mirage"), &a),
	          0);
	CHECK(!a.has_primary && !a.has_secondary);
	CHECK_INT(dnsd_key_transfer_addrs(N("1.2.03.4._transfer.mirage"), &a),
	          0);
	CHECK(!a.has_primary);
	CHECK_INT(dnsd_key_transfer_addrs(N("2.3.4._transfer.mirage"), &a), 0);
	CHECK(!a.has_primary);
	CHECK_INT(dnsd_key_transfer_addrs(N("foo._transfer.mirage"), &a), 0);
	CHECK(!a.has_primary);
	/* 1.2.3.x.5.6.7.8: only the four right before _transfer form one
	 * address, the primary */
	CHECK_INT(dnsd_key_transfer_addrs(N("1.2.3.x.5.6.7.8._transfer.m"), &a),
	          0);
	CHECK(a.has_primary && !a.has_secondary && a.primary[0] == 5);
	CHECK_INT(dnsd_key_transfer_addrs(N("1.2.3.4._update.mirage"), &a),
	          DNSD_ENOTFOUND);
	CHECK_INT(dnsd_key_transfer_addrs(N("1.2.3.4.mirage"), &a),
	          DNSD_ENOTFOUND);
	/* an _update label left of _transfer: the operation is update */
	CHECK_INT(dnsd_key_transfer_addrs(N("a._update.1._transfer.m"), &a),
	          DNSD_ENOTFOUND);
}

static void test_text(void)
{
	CHECK_INT(dnsd_key_alg_from_text("sha256", 6), DNSD_ALG_HMAC_SHA256);
	CHECK_INT(dnsd_key_alg_from_text("HMAC-SHA512.", 12),
	          DNSD_ALG_HMAC_SHA512);
	CHECK_INT(dnsd_key_alg_from_text("Sha1", 4), DNSD_ALG_HMAC_SHA1);
	CHECK_INT(dnsd_key_alg_from_text("hmac-md5", 8), 0);
	CHECK_INT(dnsd_key_alg_from_text("sha2560", 7), 0);
	CHECK_INT(dnsd_key_alg_from_text("hmac-", 5), 0);
	CHECK_STR(dnsd_key_alg_short(DNSD_ALG_HMAC_SHA224), "SHA224");
	CHECK_STR(dnsd_key_alg_hmac(DNSD_ALG_HMAC_SHA384), "hmac-sha384");
	CHECK(dnsd_key_alg_hmac(1) == NULL);

	/* base64 */
	uint8_t b[64];
	char t[128];
	CHECK_INT(dnsd_key_b64_decode("Zm9v", 4, b, sizeof b), 3);
	CHECK(memcmp(b, "foo", 3) == 0);
	CHECK_INT(dnsd_key_b64_decode("Zm8=", 4, b, sizeof b), 2);
	CHECK_INT(dnsd_key_b64_decode("Zg==", 4, b, sizeof b), 1);
	CHECK_INT(dnsd_key_b64_decode("Zh==", 4, b, sizeof b), DNSD_ESYNTAX);
	CHECK_INT(dnsd_key_b64_decode("Zm9", 3, b, sizeof b), DNSD_ESYNTAX);
	CHECK_INT(dnsd_key_b64_decode("Zm 9", 4, b, sizeof b), DNSD_ESYNTAX);
	CHECK_INT(dnsd_key_b64_decode("Z=9v", 4, b, sizeof b), DNSD_ESYNTAX);
	CHECK_INT(dnsd_key_b64_decode("Zm9vZm9v", 8, b, 5), DNSD_ESPACE);
	CHECK_INT(dnsd_key_b64_decode("", 0, b, sizeof b), DNSD_ESYNTAX);
	for (size_t n = 0; n < 40; n++) {
		uint8_t in[40], back[40];
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(i * 37 + n);
		int e = dnsd_key_b64_encode(in, n, t, sizeof t);
		CHECK_INT(e, (int)((n + 2) / 3 * 4));
		if (n > 0) {
			CHECK_INT(dnsd_key_b64_decode(t, (size_t)e, back,
			                              sizeof back),
			          (int)n);
			CHECK(memcmp(in, back, n) == 0);
		}
	}
	CHECK_INT(dnsd_key_b64_encode(b, 3, t, 4), DNSD_ESPACE);

	/* NAME:ALG:SECRET */
	dnsd_key k;
	char err[200], out[300];
	const char *seed = "personal._update.mirage:SHA256:"
	                   "kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9rv2xg=";
	CHECK_INT(dnsd_key_from_text(seed, &k, err, sizeof err), 0);
	CHECK(dnsd_name_equal(k.name, N("personal._update.mirage")));
	CHECK_INT(k.alg, DNSD_ALG_HMAC_SHA256);
	CHECK_INT(k.secret_len, 32);
	CHECK_INT(k.secret[0], 0x90);
	CHECK_INT(dnsd_key_to_text(&k, out, sizeof out), (int)strlen(seed));
	CHECK_STR(out, seed);
	CHECK_INT(dnsd_key_to_text(&k, out, 20), DNSD_ESPACE);
	CHECK_INT(dnsd_key_from_text("Personal._Update.Mirage.:hmac-sha256:"
	                             "kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9"
	                             "rv2xg=",
	                             &k, err, sizeof err),
	          0);
	CHECK_INT(k.name[1], 'p');
	static const struct {
		const char *in, *err;
	} bad[] = {
	    {"nocolons", "expected NAME:ALG:SECRET"},
	    {"a:b", "expected NAME:ALG:SECRET"},
	    {":SHA256:Zm9v", "expected NAME:ALG:SECRET"},
	    {"a.b:MD5:Zm9v", "unknown algorithm 'MD5'"},
	    {"a.b:SHA256:Zm9v!", "the secret is not valid base64"},
	    {"a.b:SHA256:", "the secret is not valid base64"},
	    {".:SHA256:Zm9v", "bad key name '.'"},
	    {"a..b:SHA256:Zm9v", "bad key name 'a..b'"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		CHECK_INT(dnsd_key_from_text(bad[i].in, &k, err, sizeof err),
		          DNSD_ESYNTAX);
		CHECK(strstr(err, bad[i].err) != NULL);
		CHECK(strstr(err, "Zm9v") == NULL); /* never the secret */
	}
}

static const char bind_text[] =
    "# made by tsig-keygen\n"
    "key \"test.key\" {\n"
    "\talgorithm hmac-sha256;\n"
    "\tsecret \"f+U4suWzDUyVWFAsR6EcqbiHcBRsAy/Z4J0djX60fCQ=\";\n"
    "};\n"
    "/* a second one,\n   unquoted name */ key other._update.example.org. {\n"
    "  secret \"Zm9vYmFy\"; // the secret first\n"
    "  algorithm HMAC-SHA512; };\n";

static void test_bind(void)
{
	dnsd_keylist l = {0};
	char err[200] = "";
	CHECK_INT(dnsd_key_parse_bind(bind_text, strlen(bind_text), &l, err,
	                              sizeof err),
	          0);
	CHECK_INT(l.count, 2);
	if (l.count == 2) {
		CHECK(dnsd_name_equal(l.keys[0].name, N("test.key")));
		CHECK_INT(l.keys[0].alg, DNSD_ALG_HMAC_SHA256);
		CHECK_INT(l.keys[0].secret_len, 32);
		CHECK(dnsd_name_equal(l.keys[1].name,
		                      N("other._update.example.org")));
		CHECK_INT(l.keys[1].alg, DNSD_ALG_HMAC_SHA512);
		CHECK_INT(l.keys[1].secret_len, 6);
		CHECK(memcmp(l.keys[1].secret, "foobar", 6) == 0);
	}
	dnsd_keylist_free(&l);

	static const struct {
		const char *in, *err;
	} bad[] = {
	    {"key \"a\" { algorithm hmac-sha256; };",
	     "1: key 'a' has no secret"},
	    {"key \"a\" { secret \"Zm9v\"; };", "1: key 'a' has no algorithm"},
	    {"key \"a\" {\n algorithm hmac-md5; secret \"Zm9v\"; };",
	     "2: key 'a': unknown algorithm"},
	    {"key \"a\" { algorithm hmac-sha1; secret \"Zm9v!\"; };",
	     "key 'a': the secret is not valid base64"},
	    {"key \"a\" { algorithm hmac-sha1; secret \"Zm9v\" };",
	     "expected ';' after a key statement"},
	    {"key \"a\" { algorithm hmac-sha1; secret \"Zm9v\"; }",
	     "expected ';' after '}'"},
	    {"key \"a\" { algorithm hmac-sha1; secret \"Zm9v\";",
	     "key 'a' is not closed"},
	    {"key \"a\" { algorithm hmac-sha1; color blue; };",
	     "key 'a': unknown statement 'color'"},
	    {"options { };", "1: expected 'key', found 'options'"},
	    {"key { };", "expected a key name after 'key'"},
	    {"key \"a\" { secret \"Zm9v", "unterminated string"},
	    {"/* key", "unterminated comment"},
	    {"key \"a..b\" { };", "expected a key name"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dnsd_keylist bl = {0};
		err[0] = 0;
		CHECK_INT(dnsd_key_parse_bind(bad[i].in, strlen(bad[i].in), &bl,
		                              err, sizeof err),
		          DNSD_ESYNTAX);
		if (!strstr(err, bad[i].err))
			fprintf(stderr, "bind %zu: got '%s'\n", i, err);
		CHECK(strstr(err, bad[i].err) != NULL);
		CHECK(strstr(err, "Zm9v") == NULL);
		CHECK_INT(bl.count, 0);
		dnsd_keylist_free(&bl);
	}
	/* an empty file (only comments) holds no keys and is fine */
	CHECK_INT(dnsd_key_parse_bind("# nothing\n", 10, &l, err, sizeof err),
	          0);
	CHECK_INT(l.count, 0);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	char *p;
	CHECK(asprintf(&p, "%s/%s", dir, name) > 0);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

static void test_files(void)
{
	char dir[] = "/tmp/test_keystore.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *bind = write_tmp(dir, "tsig.key", bind_text);
	char *zone =
	    write_tmp(dir, "keys",
	              "; zone syntax, as _keys\n"
	              "personal._update.mirage. DNSKEY 0 3 163 "
	              "kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9rv2xg=\n"
	              "10.0.42.2.10.0.42.3._transfer.mirage. DNSKEY 0 3 163 "
	              "cDK6sKyvlt8UBerZlmxuD84ih2KookJGDagJlLVNo20=\n");
	char *clash = write_tmp(dir, "clash",
	                        "key \"test.key\" { algorithm hmac-sha1; "
	                        "secret \"Zm9v\"; };\n");
	char *broken =
	    write_tmp(dir, "broken",
	              "x.mirage. DNSKEY 0 3 99 "
	              "kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9rv2xg=\n");
	char *badbind = write_tmp(dir, "badbind",
	                          "key \"a\" {\n\n algorithm hmac-sha1; secret "
	                          "\"!kJJq\"; };\n");
	char err[512];
	dnsd_keystore *ks = dnsd_keystore_new();
	CHECK_INT(dnsd_keystore_load_file(ks, bind, err, sizeof err), 0);
	CHECK_INT(dnsd_keystore_load_file(ks, zone, err, sizeof err), 0);
	CHECK_INT(dnsd_keystore_count(ks), 4);
	dnsd_key k;
	CHECK_INT(dnsd_keystore_get(ks,
	                            N("10.0.42.2.10.0.42.3._transfer."
	                              "mirage"),
	                            &k),
	          0);
	CHECK_INT(k.alg, DNSD_ALG_HMAC_SHA256);
	/* loading the same file again changes nothing */
	CHECK_INT(dnsd_keystore_load_file(ks, bind, err, sizeof err), 0);
	CHECK_INT(dnsd_keystore_count(ks), 4);

	CHECK_INT(dnsd_keystore_load_file(ks, clash, err, sizeof err),
	          DNSD_EEXIST);
	CHECK(strstr(err, "key 'test.key.' is already defined") != NULL);
	err[0] = 0;
	CHECK_INT(dnsd_keystore_load_file(ks, broken, err, sizeof err),
	          DNSD_ESYNTAX);
	CHECK(strstr(err, "broken:1:") != NULL);
	CHECK(strstr(err, "kJJq") == NULL);
	CHECK_INT(dnsd_keystore_load_file(ks, badbind, err, sizeof err),
	          DNSD_ESYNTAX);
	CHECK(strstr(err, "badbind:3: key 'a': the secret") != NULL);
	CHECK(strstr(err, "kJJq") == NULL);
	char *missing;
	CHECK(asprintf(&missing, "%s/missing", dir) > 0);
	CHECK_INT(dnsd_keystore_load_file(ks, missing, err, sizeof err),
	          DNSD_EIO);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK_INT(dnsd_keystore_count(ks), 4);
	dnsd_keystore_free(ks);

	char *files[] = {bind, zone, clash, broken, badbind, missing};
	for (size_t i = 0; i < 6; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	rmdir(dir);
}

int main(void)
{
	test_store();
	test_replay();
	test_access();
	test_addrs();
	test_text();
	test_bind();
	test_files();
	return tap_done();
}

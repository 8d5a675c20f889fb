/* Zone-file editing: differences made with dnsd_zdiff_compute between a
 * realistic zone file and modified versions, applied to the file's text;
 * the result must build to the new version, match the expected text and
 * change no more lines than the difference needs. */
#include "tap.h"
#include <dnsd/err.h>
#include <dnsd/name.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <dnsd/zoneedit.h>
#include <dnsd/zonefile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an in-memory file system for $INCLUDE ---- */

static const char *files[][2] = {
    {"hosts.inc", "; included hosts\n"
                  "inc1\tA\t198.51.100.1\n"
                  "inc2\tA\t198.51.100.2\n"},
    {"soa.inc", "@ SOA ns1 hostmaster 5 7200 900 1209600 300 ; serial 5\n"},
};

static int read_mem(void *ctx, const char *path, char **buf, size_t *len)
{
	(void)ctx;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (strcmp(base, files[i][0]) == 0) {
			*len = strlen(files[i][1]);
			*buf = malloc(*len + 1);
			memcpy(*buf, files[i][1], *len + 1);
			return 0;
		}
	}
	return DNSD_ENOTFOUND;
}

static void quiet(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (d->severity == DNSD_DIAG_ERROR)
		dnsd_diag_print(stderr, d);
}

static uint8_t origin[DNSD_NAME_MAX];

static dnsd_zf_opts opts(const char *o)
{
	dnsd_name_from_text(o, strlen(o), NULL, origin);
	dnsd_zf_opts op = {.origin = origin, .diag = quiet, .read = read_mem};
	return op;
}

static int to_builder(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static dnsd_zone *build(const char *text, size_t len, const char *o)
{
	dnsd_zf_opts op = opts(o);
	dnsd_zone_builder *b = dnsd_zone_builder_new(op.origin);
	dnsd_zone *z = NULL;
	if (dnsd_zonefile_parse_mem("zone", text, len, &op, to_builder, b,
	                            NULL) != 0) {
		dnsd_zone_builder_free(b);
		return NULL;
	}
	if (dnsd_zone_builder_finish(b, quiet, NULL, NULL, &z) != 0)
		return NULL;
	return z;
}

/* ---- helpers ---- */

/* base with the first occurrence of from replaced by to (malloc'd). */
static char *subst(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);
	if (!at) {
		fprintf(stderr, "subst: '%s' not found\n", from);
		abort();
	}
	size_t a = (size_t)(at - base), fl = strlen(from), tl = strlen(to);
	char *s = malloc(strlen(base) - fl + tl + 1);
	memcpy(s, base, a);
	memcpy(s + a, to, tl);
	strcpy(s + a + tl, at + fl);
	return s;
}

static char *cat(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);
	strcpy(s, a);
	strcat(s, b);
	return s;
}

/* Lines removed plus lines added by a line diff (a line changed counts
 * twice), by the longest common subsequence of a and b. */
static int changed_lines(const char *a, const char *b)
{
	const char *la[256], *lb[256];
	size_t sa[256], sb[256];
	int na = 0, nb = 0;
	for (const char *p = a; *p && na < 256; na++) {
		const char *e = strchr(p, '\n');
		la[na] = p;
		sa[na] = e ? (size_t)(e - p) : strlen(p);
		p = e ? e + 1 : p + strlen(p);
	}
	for (const char *p = b; *p && nb < 256; nb++) {
		const char *e = strchr(p, '\n');
		lb[nb] = p;
		sb[nb] = e ? (size_t)(e - p) : strlen(p);
		p = e ? e + 1 : p + strlen(p);
	}
	static int t[257][257];
	for (int i = na; i >= 0; i--)
		for (int j = nb; j >= 0; j--) {
			if (i == na || j == nb)
				t[i][j] = 0;
			else if (sa[i] == sb[j] && !memcmp(la[i], lb[j], sa[i]))
				t[i][j] = t[i + 1][j + 1] + 1;
			else
				t[i][j] = t[i + 1][j] > t[i][j + 1]
				              ? t[i + 1][j]
				              : t[i][j + 1];
		}
	return na + nb - 2 * t[0][0];
}

/* True when two versions hold the same records and SOA. */
static bool same_zone(const dnsd_zone *a, const dnsd_zone *b)
{
	dnsd_zdiff *d;
	if (dnsd_zdiff_compute(a, b, &d) != 0)
		return false;
	const dnsd_xfr_rr *x = dnsd_zdiff_from_soa(d),
	                  *y = dnsd_zdiff_to_soa(d);
	bool same = dnsd_zdiff_added(d) == 0 && dnsd_zdiff_deleted(d) == 0 &&
	            x->ttl == y->ttl && x->rdlen == y->rdlen &&
	            memcmp(x->rdata, y->rdata, x->rdlen) == 0;
	dnsd_zdiff_free(d);
	return same;
}

static char err[256];

/* Edits old_text to the version new_text holds. Returns the edit's
 * result code; on success *out is the edited text, checked to build to
 * the new version. */
static int edit(const char *o, const char *old_text, const char *new_text,
                char **out)
{
	dnsd_zone *a = build(old_text, strlen(old_text), o);
	dnsd_zone *b = build(new_text, strlen(new_text), o);
	dnsd_zdiff *d = NULL;
	size_t len = 0;
	*out = NULL;
	CHECK(a && b);
	if (!a || !b)
		return -1000;
	CHECK_INT(dnsd_zdiff_compute(a, b, &d), 0);
	dnsd_zf_opts op = opts(o);
	err[0] = 0;
	int r = dnsd_zoneedit_apply("zone", old_text, strlen(old_text), &op, d,
	                            out, &len, err, sizeof err);
	if (r == 0) {
		CHECK_INT(len, strlen(*out));
		dnsd_zone *c = build(*out, len, o);
		CHECK(c && same_zone(b, c));
		dnsd_zone_unref(c);
	} else {
		CHECK(*out == NULL);
		CHECK(err[0] != 0);
	}
	dnsd_zdiff_free(d);
	dnsd_zone_unref(a);
	dnsd_zone_unref(b);
	return r;
}

/* ---- the zone ---- */

static const char base[] = "; example.net: the test zone\n"
                           "$ORIGIN example.net.\n"
                           "$TTL 3600\n"
                           "@\tIN\tSOA\tns1 hostmaster (\n"
                           "\t\t2024010101 ; serial: raise it on every change\n"
                           "\t\t86400      ; refresh\n"
                           "\t\t7200       ; retry\n"
                           "\t\t1048576    ; expire\n"
                           "\t\t3600 )     ; minimum\n"
                           "\tIN\tNS\tns1\n"
                           "\tIN\tNS\tns2.example.org.\n"
                           "@\tMX\t10 mail\n"
                           "\n"
                           "; web\n"
                           "www\t300\tA\t192.0.2.80\n"
                           "www\tAAAA\t2001:db8::80   ; v6\n"
                           "mail\tA\t192.0.2.25\n"
                           "txt\tTXT\t( \"part one \"\n"
                           "\t\t  \"part two\" ) ; a long one\n"
                           "\tA\t192.0.2.9\n"
                           "ns1\tA\t192.0.2.1\n"
                           "\n"
                           "$ORIGIN sub.example.net.\n"
                           "host\tA\t192.0.2.100\n"
                           "other.example.net.\tA\t192.0.2.101\n"
                           "$INCLUDE hosts.inc\n"
                           "$GENERATE 1-3 dyn$ A 192.0.2.$\n"
                           "$ORIGIN example.net.\n"
                           "last\tA\t192.0.2.200\n"
                           "; end\n";

#define O "example.net."

static void check_edit(const char *new_text, const char *expect, int lines)
{
	char *out;
	int r = edit(O, base, new_text, &out);
	CHECK_INT(r, 0);
	if (r) {
		fprintf(stderr, "  reason: %s\n", err);
		return;
	}
	CHECK_STR(out, expect);
	CHECK_INT(changed_lines(base, out), lines);
	free(out);
}

static void test_add(void)
{
	/* to an existing name: right after its last line */
	char *n = cat(base, "www.example.net. 3600 IN TXT \"hi\"\n");
	char *x = subst(base, "::80   ; v6\n",
	                "::80   ; v6\nwww 3600 IN TXT \"hi\"\n");
	check_edit(n, x, 1);
	free(n);
	free(x);

	/* a new name: at the end, relative to the $ORIGIN there */
	n = subst(base, "ns1\tA", "new 60 A 192.0.2.7\nns1\tA");
	x = cat(base, "new 60 IN A 192.0.2.7\n");
	check_edit(n, x, 1);
	free(n);
	free(x);

	/* a new name below one that has records: beside its ancestor */
	n = cat(base, "a.www.example.net. 3600 IN A 192.0.2.81\n");
	x = subst(base, "::80   ; v6\n",
	          "::80   ; v6\na.www 3600 IN A 192.0.2.81\n");
	check_edit(n, x, 1);
	free(n);
	free(x);

	/* under another $ORIGIN: relative to it, or absolute when above */
	n = cat(base, "host.sub.example.net. 3600 IN AAAA 2001:db8::100\n"
	              "other.example.net. 3600 IN TXT \"o\"\n");
	x = subst(base, "192.0.2.100\n",
	          "192.0.2.100\nhost 3600 IN AAAA 2001:db8::100\n");
	char *x2 = subst(x, "192.0.2.101\n",
	                 "192.0.2.101\nother.example.net. 3600 IN TXT \"o\"\n");
	check_edit(n, x2, 2);
	free(n);
	free(x);
	free(x2);

	/* to a name whose records are all $INCLUDEd: at the end */
	n = cat(base, "inc1.sub.example.net. 3600 IN TXT \"i\"\n");
	x = cat(base, "inc1.sub 3600 IN TXT \"i\"\n");
	check_edit(n, x, 1);
	free(n);
	free(x);

	/* at the apex, which has a record after the SOA */
	n = cat(base, "@ 3600 IN TXT \"v=spf1 -all\"\n");
	x = subst(base, "10 mail\n",
	          "10 mail\n@ 3600 IN TXT \"v=spf1 -all\"\n");
	check_edit(n, x, 1);
	free(n);
	free(x);
}

static void test_delete(void)
{
	/* one line: it goes, the comment line above stays */
	char *n = subst(base, "www\t300\tA\t192.0.2.80\n", "");
	check_edit(n, n, 1);
	CHECK(strstr(n, "; web\nwww\tAAAA") != NULL);
	free(n);

	/* a line with a comment: the whole line */
	n = subst(base, "www\tAAAA\t2001:db8::80   ; v6\n", "");
	check_edit(n, n, 1);
	free(n);

	/* a record over two lines; the line below inherited its owner
	 * from it and gets it written */
	n = subst(base,
	          "txt\tTXT\t( \"part one \"\n"
	          "\t\t  \"part two\" ) ; a long one\n"
	          "\tA\t192.0.2.9\n",
	          "txt\tA\t192.0.2.9\n");
	check_edit(n, n, 4);
	free(n);

	/* an inherited line alone */
	n = subst(base, "\tIN\tNS\tns2.example.org.\n", "");
	check_edit(n, n, 1);
	free(n);
}

static void test_ttl(void)
{
	/* a TTL change is a delete and an add: the new line goes after the
	 * owner's last line */
	char *n = subst(base, "www\t300\tA", "www\t600\tA");
	char *x = subst(base, "www\t300\tA\t192.0.2.80\n", "");
	char *x2 =
	    subst(x, "::80   ; v6\n", "::80   ; v6\nwww 600 IN A 192.0.2.80\n");
	check_edit(n, x2, 2);
	free(n);
	free(x);
	free(x2);

	/* the only record of a name: the new line takes its place */
	n = subst(base, "mail\tA\t192.0.2.25", "mail 60 A 192.0.2.25");
	x = subst(base, "mail\tA\t192.0.2.25\n", "mail 60 IN A 192.0.2.25\n");
	check_edit(n, x, 2);
	free(n);
	free(x);
}

static void test_serial(void)
{
	/* only the digits change; the comment stays */
	char *n = subst(base, "2024010101", "2024010102");
	check_edit(n, n, 2);
	CHECK(strstr(n, "\t\t2024010102 ; serial: raise it on every change\n"));
	free(n);

	/* fewer digits, then more */
	n = subst(base, "2024010101", "7");
	check_edit(n, n, 2);
	char *out;
	char *m = subst(base, "2024010101", "4294967295");
	CHECK_INT(edit(O, n, m, &out), 0);
	CHECK_STR(out, m);
	free(out);
	free(n);
	free(m);

	/* a serial and records together */
	n = subst(base, "2024010101", "2024010102");
	char *n2 = subst(n, "mail\tA\t192.0.2.25\n", "");
	char *n3 = cat(n2, "new 3600 IN A 192.0.2.8\n");
	char *x = cat(n2, "new 3600 IN A 192.0.2.8\n");
	check_edit(n3, x, 4);
	free(n);
	free(n2);
	free(n3);
	free(x);
}

static void test_refused(void)
{
	char *out;
	/* deletions of $INCLUDEd and $GENERATEd records */
	char *n =
	    subst(base, "$INCLUDE hosts.inc\n", "inc2\tA\t198.51.100.2\n");
	CHECK_INT(edit(O, base, n, &out), DNSD_ENOTSUP);
	CHECK(strstr(err, "$INCLUDE") != NULL);
	free(n);
	n = subst(base, "$GENERATE 1-3 dyn$ A 192.0.2.$\n",
	          "dyn1 A 192.0.2.1\ndyn3 A 192.0.2.3\n");
	CHECK_INT(edit(O, base, n, &out), DNSD_ENOTSUP);
	CHECK(strstr(err, "$GENERATE") != NULL);
	free(n);

	/* additions beside them are fine */
	n = cat(base, "dyn9.sub.example.net. 3600 IN A 192.0.2.9\n");
	CHECK_INT(edit(O, base, n, &out), 0);
	free(out);
	free(n);

	/* a serial in an $INCLUDEd file */
	const char *inc = "$ORIGIN example.net.\n$TTL 300\n$INCLUDE soa.inc\n"
	                  "ns1 A 192.0.2.1\n";
	char *inc2 = subst(inc, "$INCLUDE soa.inc\n",
	                   "@ SOA ns1 hostmaster 6 7200 900 1209600 300\n");
	CHECK_INT(edit(O, inc, inc2, &out), DNSD_ENOTSUP);
	CHECK(strstr(err, "SOA") != NULL);
	/* records beside it are fine */
	char *inc3 = cat(inc, "www 300 A 192.0.2.2\n");
	CHECK_INT(edit(O, inc, inc3, &out), 0);
	CHECK_STR(out, "$ORIGIN example.net.\n$TTL 300\n$INCLUDE soa.inc\n"
	               "ns1 A 192.0.2.1\nwww 300 IN A 192.0.2.2\n");
	free(out);
	free(inc2);
	free(inc3);

	/* without $TTL, a line taking the previous record's TTL would
	 * change: refused, not committed */
	const char *old = "$ORIGIN t.\n@ 3600 SOA ns hm 1 2 3 4 5\n"
	                  "ns 3600 A 192.0.2.1\na 300 A 192.0.2.2\n"
	                  "b A 192.0.2.3\n";
	char *o2 = subst(old, "a 300 A 192.0.2.2\n", "");
	char *o3 = subst(o2, "b A", "b 300 A");
	CHECK_INT(edit("t.", old, o3, &out), DNSD_ENOTSUP);
	CHECK(strstr(err, "b.t.") != NULL);
	free(o2);
	free(o3);
}

static void test_layout(void)
{
	char *out;
	/* no newline at the end; CRLF line ends */
	const char *a = "$ORIGIN t.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\nns A "
	                "192.0.2.1";
	char *b = cat(a, "\nx A 192.0.2.2\n");
	CHECK_INT(edit("t.", a, b, &out), 0);
	CHECK_STR(out, "$ORIGIN t.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\nns A "
	               "192.0.2.1\nx 60 IN A 192.0.2.2\n");
	free(out);
	free(b);
	const char *c = "$ORIGIN t.\r\n$TTL 60\r\n@ SOA ns hm 1 2 3 4 5\r\n"
	                "ns A 192.0.2.1\r\n";
	b = cat(c, "ns AAAA 2001:db8::1\r\n");
	CHECK_INT(edit("t.", c, b, &out), 0);
	CHECK_STR(out, "$ORIGIN t.\r\n$TTL 60\r\n@ SOA ns hm 1 2 3 4 5\r\n"
	               "ns A 192.0.2.1\r\nns 60 IN AAAA 2001:db8::1\r\n");
	free(out);
	free(b);
	/* a deleted record not in the text */
	dnsd_zone *z1 = build(a, strlen(a), "t.");
	char *a2 = cat(a, "\nq A 192.0.2.3\n");
	dnsd_zone *z2 = build(a2, strlen(a2), "t.");
	dnsd_zdiff *d;
	CHECK_INT(dnsd_zdiff_compute(z2, z1, &d), 0);
	dnsd_zf_opts op = opts("t.");
	size_t len;
	CHECK_INT(dnsd_zoneedit_apply("t", a, strlen(a), &op, d, &out, &len,
	                              err, sizeof err),
	          DNSD_EINVAL);
	CHECK(strstr(err, "q.t.") != NULL);
	dnsd_zdiff_free(d);
	dnsd_zone_unref(z1);
	dnsd_zone_unref(z2);
	free(a2);
}

/* Every record type of types.test.zone written by the editor into a zone
 * holding only the SOA, and all of them deleted again. */
static void test_types(void)
{
	FILE *f = fopen(DNSD_TEST_DATA "/zones/types.test.zone", "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	static char full[65536];
	size_t n = fread(full, 1, sizeof full - 1, f);
	fclose(f);
	full[n] = 0;
	const char *empty =
	    "; Every RR type dnsd supports, in ordinary presentation form.\n"
	    "$ORIGIN types.test.\n"
	    "$TTL 3600\n"
	    "@\t\tSOA\tns1.types.test. hostmaster.types.test. 2026010101 "
	    "7200 900 1209600 300\n";
	char *out;
	CHECK_INT(edit("types.test.", empty, full, &out), 0);
	if (out)
		CHECK(changed_lines(empty, out) > 60);
	free(out);
	CHECK_INT(edit("types.test.", full, empty, &out), 0);
	if (out)
		CHECK_STR(out, empty);
	free(out);
}

int main(void)
{
	test_add();
	test_delete();
	test_ttl();
	test_serial();
	test_refused();
	test_layout();
	test_types();
	return tap_done();
}

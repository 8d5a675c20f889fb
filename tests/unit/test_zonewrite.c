/* Unit tests for writing zone versions as text (zonewrite.h): a zone of
 * most of the engine's RR types, owners in mixed case, written and
 * parsed back is the same version record for record, its owners spelled
 * as before (or lower-cased when asked); the lines come in canonical
 * order; a callback's non-zero value stops the writing. */
#include "../same.h"
#include "tap.h"
#include "zones.h"
#include <dnsd/err.h>
#include <dnsd/zone.h>
#include <dnsd/zonefile.h>
#include <dnsd/zonewrite.h>
#include <stdlib.h>

static uint8_t origin[DNSD_NAME_MAX];

static dnsd_zone *build(const char *text)
{
	return zone_from_text(origin, text);
}

static const char zone_text[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 2024010101 3600 900 604800 300\n"
    "@ NS ns1\n@ NS Ns2.Example.NET.\n@ MX 10 Mail\n@ MX 20 mail2\n"
    "@ TXT \"v=spf1 -all\" \"second \\\"string\\\"\"\n"
    "@ CAA 0 issue \"letsencrypt.org\"\n"
    "@ DNSKEY 257 3 8 AwEAAagAAQ==\n@ CDS 0 0 0 00\n"
    "ns1 A 192.0.2.1\nns1 AAAA 2001:db8::1\nMail A 192.0.2.25\n"
    "mail2 300 A 192.0.2.26\n"
    "WWW CNAME Mail\n"
    "_sip._udp SRV 0 5 5060 sip\nsip A 192.0.2.7\n"
    "naptr NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp\n"
    "_443._tcp.www TLSA 3 1 1 abcdef\n"
    "host SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac\n"
    "host HINFO \"PC\" \"Linux os\"\n"
    "host LOC 42 21 43.952 N 71 5 6.344 W -24m 1m 200m\n"
    "ptr PTR host\nrp RP mbox .\n"
    "uri URI 10 1 \"ftp://ftp1.example.com/public\"\n"
    "svc HTTPS 1 . alpn=\"h2,h3\"\n"
    "dname DNAME target.example.\n"
    "sub NS ns.sub\nns.sub A 192.0.2.53\n"
    "sub DS 60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118\n"
    "*.Wild TXT \"wild\"\n"
    "deep.empty.nonterminal A 192.0.2.99\n"
    "unknown TYPE65534 \\# 3 abcdef\n"
    "esc\\.aped\\032name A 192.0.2.100\n";

struct lines {
	char *text;
	size_t len, cap, n;
	size_t stop_at; /* 0: never */
};

static int collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;
	if (l->stop_at && l->n == l->stop_at)
		return 42;
	if (l->len + len + 2 > l->cap) {
		l->cap = (l->len + len + 2) * 2;
		l->text = realloc(l->text, l->cap);
		if (!l->text)
			abort();
	}
	CHECK_INT(strlen(line), len);
	memcpy(l->text + l->len, line, len);
	l->len += len;
	l->text[l->len++] = '\n';
	l->text[l->len] = 0;
	l->n++;
	return 0;
}

int main(void)
{
	if (dnsd_name_from_text("Example.ORG.", 12, NULL, origin) < 0)
		abort();
	dnsd_zone *z = build(zone_text);
	CHECK(z != NULL);
	if (!z)
		return tap_done();

	/* as spelled */
	struct lines l = {0};
	CHECK_INT(dnsd_zone_write(z, false, collect, &l), 0);
	CHECK_INT(l.n, dnsd_zone_record_count(z));
	dnsd_zone *back = build(l.text);
	CHECK(back != NULL);
	CHECK(back && zones_same(z, back, true));
	CHECK(strstr(l.text, "Mail.Example.ORG. 3600 IN A 192.0.2.25\n"));
	CHECK(strstr(l.text, "*.Wild.Example.ORG. 3600 IN TXT \"wild\"\n"));
	CHECK(strstr(l.text, "esc\\.aped\\032name.Example.ORG. 3600 IN A "));
	CHECK(strstr(l.text, "unknown.Example.ORG. 3600 IN TYPE65534 \\# 3 "
	                     "ABCDEF\n"));
	/* the apex first, its RRsets by type number: NS (2) first */
	CHECK(strncmp(l.text, "Example.ORG. 3600 IN NS ", 24) == 0);
	if (back)
		dnsd_zone_unref(back);
	free(l.text);

	/* lower-cased */
	l = (struct lines){0};
	CHECK_INT(dnsd_zone_write(z, true, collect, &l), 0);
	CHECK(strstr(l.text, "mail.example.org. 3600 IN A 192.0.2.25\n"));
	/* owners only: RDATA names stay as given */
	CHECK(!strstr(l.text, "\nMail.") &&
	      strstr(l.text, " MX 10 Mail.Example.ORG.\n"));
	back = build(l.text);
	CHECK(back && zones_same(z, back, false));
	if (back)
		dnsd_zone_unref(back);
	free(l.text);

	/* a callback's value stops it */
	l = (struct lines){.stop_at = 3};
	CHECK_INT(dnsd_zone_write(z, true, collect, &l), 42);
	CHECK_INT(l.n, 3);
	free(l.text);
	dnsd_zone_unref(z);
	return tap_done();
}

/* TSIG key files: zone-file syntax read by the zone-file parser, each
 * record checked to be `NAME DNSKEY 0 3 ALG SECRET` with an HMAC
 * algorithm and a name inside the file's zone. Diagnostics go through the
 * parser with secrets masked; secrets are wiped when a list is freed or a
 * file is refused. */
#include "keys_priv.h"
#include "zonefile_priv.h"
#include <dnsd/err.h>
#include <dnsd/keys.h>
#include <stdlib.h>
#include <string.h>

/* Non-standard in C17; glibc has it. Wipes even when the memory is about
 * to be freed. */
static void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

void dnsd_keylist_free(dnsd_keylist *l)
{
	if (!l)
		return;
	if (l->keys)
		wipe(l->keys, l->cap * sizeof *l->keys);
	free(l->keys);
	l->keys = NULL;
	l->count = l->cap = 0;
}

bool dnsd_keyfile_name(const char *path, const char **zone, size_t *len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t bl = strlen(base);
	size_t zl;
	if (bl == 5 && memcmp(base, "_keys", 5) == 0)
		zl = 0;
	else if (bl >= 6 && memcmp(base + bl - 6, "._keys", 6) == 0)
		zl = bl - 6;
	else
		return false;
	if (zone)
		*zone = base;
	if (len)
		*len = zl;
	return true;
}

typedef struct key_load {
	const uint8_t *zone;
	dnsd_keylist *l;
} key_load;

/* The token of DNSKEY field i (flags, protocol, algorithm, key), for
 * error positions; the RFC 3597 form has no per-field tokens. */
static const dnsd_token *field_tok(const dnsd_zf_rec *r, size_t i)
{
	if (r->nrdata == 0)
		return r->type;
	if (r->rdata[0].len == 2 && memcmp(r->rdata[0].s, "\\#", 2) == 0)
		return &r->rdata[0];
	return i < r->nrdata ? &r->rdata[i] : &r->rdata[r->nrdata - 1];
}

int dnsd_keylist_append(dnsd_keylist *l, const dnsd_key *k)
{
	if (l->count == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		dnsd_key *nk = calloc(nc, sizeof *nk);
		if (!nk)
			return DNSD_ENOMEM;
		/* copied by hand so the old block can be wiped, not just freed
		 */
		if (l->count)
			memcpy(nk, l->keys, l->count * sizeof *nk);
		if (l->keys)
			wipe(l->keys, l->cap * sizeof *l->keys);
		free(l->keys);
		l->keys = nk;
		l->cap = nc;
	}
	l->keys[l->count++] = *k;
	return 0;
}

void dnsd_keylist_truncate(dnsd_keylist *l, size_t count)
{
	if (l->count > count)
		wipe(&l->keys[count], (l->count - count) * sizeof *l->keys);
	l->count = count;
}

static int key_record(void *ctx, dnsd_zf_parser *p, const dnsd_zf_rec *r)
{
	key_load *kl = ctx;
	const dnsd_zf_rr *rr = &r->rr;
	const dnsd_token *owner = r->owner ? r->owner : r->first;
	char tb[16], name[DNSD_NAME_TEXT_MAX + 1], zone[DNSD_NAME_TEXT_MAX + 1];

	if (rr->type != DNSD_TYPE_DNSKEY) {
		dnsd_zf_error(
		    p, r->type,
		    "expected a DNSKEY record in a key file, found %s",
		    dnsd_rrtype_to_text(rr->type, tb));
		return 0;
	}
	if (rr->rdlen < 4) {
		dnsd_zf_error(p, field_tok(r, 0), "DNSKEY record too short");
		return 0;
	}
	unsigned flags = (unsigned)rr->rdata[0] << 8 | rr->rdata[1];
	if (flags != 0) {
		dnsd_zf_error(p, field_tok(r, 0),
		              "expected DNSKEY flags 0 in a key file, found %u",
		              flags);
		return 0;
	}
	if (rr->rdata[2] != 3) {
		dnsd_zf_error(p, field_tok(r, 1),
		              "expected DNSKEY protocol 3, found %u",
		              rr->rdata[2]);
		return 0;
	}
	uint8_t alg = rr->rdata[3];
	if (alg < DNSD_ALG_HMAC_SHA1 || alg > DNSD_ALG_HMAC_SHA512) {
		dnsd_zf_error(p, field_tok(r, 2),
		              "expected an HMAC algorithm 161..165 in a key "
		              "file, found %u",
		              alg);
		return 0;
	}
	size_t slen = (size_t)rr->rdlen - 4;
	if (slen == 0 || slen > DNSD_KEY_SECRET_MAX) {
		dnsd_zf_error(p, field_tok(r, 3),
		              slen ? "key secret longer than 128 octets"
		                   : "key without a secret");
		return 0;
	}
	if (dnsd_name_to_text(rr->owner, name, sizeof name) < 0)
		name[0] = 0;
	if (!dnsd_name_is_subdomain(rr->owner, kl->zone)) {
		if (dnsd_name_to_text(kl->zone, zone, sizeof zone) < 0)
			zone[0] = 0;
		dnsd_zf_error(p, owner,
		              "key '%s' is outside zone '%s' of this key file",
		              name, zone);
		return 0;
	}

	dnsd_key k;
	memset(&k, 0, sizeof k);
	size_t nl = dnsd_name_len(rr->owner);
	memcpy(k.name, rr->owner, nl);
	dnsd_name_lower(k.name);
	k.alg = alg;
	k.secret_len = (uint16_t)slen;
	memcpy(k.secret, rr->rdata + 4, slen);
	for (size_t i = 0; i < kl->l->count; i++) {
		const dnsd_key *o = &kl->l->keys[i];
		if (!dnsd_name_equal(o->name, k.name))
			continue;
		bool same = o->alg == k.alg && o->secret_len == k.secret_len &&
		            memcmp(o->secret, k.secret, slen) == 0;
		if (!same)
			dnsd_zf_error(
			    p, owner,
			    "key '%s' is already defined with another "
			    "algorithm or secret",
			    name);
		wipe(&k, sizeof k);
		return 0;
	}
	int err = dnsd_keylist_append(kl->l, &k);
	wipe(&k, sizeof k);
	return err;
}

int dnsd_keyfile_load(const char *path, const uint8_t *zone,
                      const dnsd_zf_opts *o, dnsd_keylist *l,
                      dnsd_zf_result *res)
{
	static const uint8_t root[1] = {0};
	dnsd_zf_opts opts;
	if (o)
		opts = *o;
	else
		memset(&opts, 0, sizeof opts);
	if (!zone)
		zone = root;
	if (!opts.origin)
		opts.origin = zone;
	/* key records need no TTL; any will do */
	if (!opts.default_ttl)
		opts.default_ttl = 3600;
	key_load kl = {.zone = zone, .l = l};
	size_t start = l->count;
	int r = dnsd_zf_parse_rec(path, true, NULL, 0, &opts, true, key_record,
	                          &kl, res);
	if (r != 0) {
		/* a file with errors gives no keys at all */
		dnsd_keylist_truncate(l, start);
	}
	return r;
}

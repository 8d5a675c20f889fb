/* Response rate limiting: a fixed table of token buckets (rrl.h). */
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrl.h>
#include <dnsd/wire.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Tokens are counted in thousandths of a response, so that a refill of
 * `rate` a second is exact per millisecond: rate per ms. */
#define RRL_MILLI 1000

struct rrl_bucket {
	uint64_t key;     /* 0: never used */
	uint64_t stamp;   /* ms of the last refill */
	int64_t tokens;   /* thousandths of a response */
	uint32_t limited; /* responses limited since the bucket last passed */
};

struct dnsd_rrl {
	dnsd_rrl_opts o;
	size_t mask;
	int64_t cap; /* tokens of a full bucket */
	dnsd_rrl_stats st;
	struct rrl_bucket *b;
};

int dnsd_rrl_new(const dnsd_rrl_opts *o, dnsd_rrl **out)
{
	if (o->rate == 0 || o->ipv4_prefix > 32 || o->ipv6_prefix > 128)
		return DNSD_EINVAL;
	size_t n = DNSD_RRL_PROBE;
	while (n < o->table_size && n < ((size_t)1 << 30))
		n <<= 1;
	dnsd_rrl *t = calloc(1, sizeof(*t));
	if (t == NULL || (t->b = calloc(n, sizeof(*t->b))) == NULL) {
		free(t);
		return DNSD_ENOMEM;
	}
	t->o = *o;
	t->mask = n - 1;
	t->cap = (int64_t)o->rate * RRL_MILLI;
	*out = t;
	return 0;
}

void dnsd_rrl_free(dnsd_rrl *t)
{
	if (t == NULL)
		return;
	free(t->b);
	free(t);
}

/* ---- the key ---------------------------------------------------------- */

/* A seeded multiply-xorshift over 64-bit words: fast, and without the
 * seed a client cannot tell which keys share a slot. */
static uint64_t rrl_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static uint64_t rrl_mix_bytes(uint64_t h, const uint8_t *p, size_t n,
                              bool lower)
{
	uint64_t word = 0;
	unsigned k = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		/* a length octet is < 64, never a letter */
		if (lower && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + ('a' - 'A'));
		word = (word << 8) | c;
		if (++k == 8) {
			h = rrl_mix(h, word);
			word = 0;
			k = 0;
		}
	}
	return rrl_mix(h, (word << 8) | k);
}

/* The client's prefix: family and the address with the bits past the
 * prefix cleared. false for another family. */
static bool rrl_prefix(const dnsd_rrl *t, const struct sockaddr *sa,
                       uint8_t addr[16], size_t *len)
{
	unsigned bits;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		memcpy(addr, &s4->sin_addr, 4);
		*len = 4;
		bits = t->o.ipv4_prefix;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(addr, &s6->sin6_addr, 16);
		*len = 16;
		bits = t->o.ipv6_prefix;
	} else {
		return false;
	}
	for (size_t i = 0; i < *len; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8
		                : bits > 8 * i      ? bits - 8 * (unsigned)i
		                                    : 0;
		addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	return true;
}

static uint64_t rrl_key(const dnsd_rrl *t, const uint8_t *addr, size_t alen,
                        const dnsd_rrl_key *k)
{
	uint64_t h = rrl_mix(t->o.seed, ((uint64_t)alen << 40) |
	                                    ((uint64_t)k->cls << 16) | k->type);
	h = rrl_mix_bytes(h, addr, alen, false);
	if (k->name != NULL)
		h = rrl_mix_bytes(h, k->name, dnsd_name_len(k->name), true);
	return h | 1; /* never 0, the mark of an unused bucket */
}

/* ---- the buckets ------------------------------------------------------ */

static struct rrl_bucket *rrl_find(dnsd_rrl *t, uint64_t key, uint64_t now)
{
	size_t i = (size_t)(key >> 17) & t->mask;
	struct rrl_bucket *oldest = NULL;
	for (unsigned p = 0; p < DNSD_RRL_PROBE; p++) {
		struct rrl_bucket *b = &t->b[(i + p) & t->mask];
		if (b->key == key)
			return b;
		if (oldest == NULL || b->stamp < oldest->stamp)
			oldest = b;
	}
	*oldest =
	    (struct rrl_bucket){.key = key, .stamp = now, .tokens = t->cap};
	return oldest;
}

static void rrl_refill(const dnsd_rrl *t, struct rrl_bucket *b, uint64_t now)
{
	if (now <= b->stamp)
		return; /* the same millisecond, or a clock that went back */
	uint64_t dt = now - b->stamp;
	b->stamp = now;
	/* a full second refills any bucket: no overflow for long gaps */
	if (dt >= 1000) {
		b->tokens = t->cap;
		return;
	}
	b->tokens += (int64_t)dt * t->o.rate;
	if (b->tokens > t->cap)
		b->tokens = t->cap;
}

static dnsd_rrl_action rrl_limited(dnsd_rrl *t, struct rrl_bucket *b)
{
	b->limited++;
	if (t->o.slip != 0 && b->limited % t->o.slip == 0) {
		t->st.slipped++;
		return DNSD_RRL_SLIP;
	}
	t->st.dropped++;
	return DNSD_RRL_DROP;
}

dnsd_rrl_action dnsd_rrl_account(dnsd_rrl *t, const struct sockaddr *peer,
                                 const dnsd_rrl_key *k, uint64_t now_ms)
{
	uint8_t addr[16];
	size_t alen;
	if (!rrl_prefix(t, peer, addr, &alen)) {
		t->st.passed++;
		return DNSD_RRL_PASS;
	}
	struct rrl_bucket *b = rrl_find(t, rrl_key(t, addr, alen, k), now_ms);
	rrl_refill(t, b, now_ms);
	if (b->tokens < RRL_MILLI)
		return rrl_limited(t, b);
	b->tokens -= RRL_MILLI;
	b->limited = 0;
	t->st.passed++;
	return DNSD_RRL_PASS;
}

/* ---- responses -------------------------------------------------------- */

/* Skips n records; the cursor's error tells when they were not there. */
static void rrl_skip_rrs(dnsd_wire *w, unsigned n)
{
	uint8_t owner[DNSD_NAME_MAX];
	for (unsigned i = 0; i < n && w->err == 0; i++) {
		(void)dnsd_name_from_wire(w, owner);
		dnsd_wire_skip(w, 8); /* type, class, TTL */
		dnsd_wire_skip(w, dnsd_wire_u16(w));
	}
}

bool dnsd_rrl_classify(const uint8_t *resp, size_t len, dnsd_rrl_key *k,
                       uint8_t *name, size_t *question_end)
{
	dnsd_hdr h;
	if (dnsd_hdr_parse(resp, len, &h) < 0 ||
	    DNSD_OPCODE(h.flags) != DNSD_OPCODE_QUERY)
		return false;
	dnsd_wire w;
	dnsd_wire_init_read(&w, resp, len);
	dnsd_wire_skip(&w, DNSD_HDR_LEN);
	uint16_t qtype = 0;
	if (h.qdcount > 0) {
		if (dnsd_name_from_wire(&w, name) < 0)
			return false;
		qtype = dnsd_wire_u16(&w);
		dnsd_wire_skip(&w, 2);
		rrl_skip_rrs(&w, h.qdcount - 1u);
	}
	if (w.err != 0)
		return false;
	*question_end = w.pos;
	int rcode = DNSD_RCODE(h.flags);
	*k = (dnsd_rrl_key){.cls = DNSD_RRL_ERROR, .type = (uint16_t)rcode};
	if (h.qdcount == 0 ||
	    (rcode != DNSD_RCODE_NOERROR && rcode != DNSD_RCODE_NXDOMAIN))
		return true;
	if (rcode == DNSD_RCODE_NOERROR && h.ancount > 0) {
		*k = (dnsd_rrl_key){
		    .cls = DNSD_RRL_ANSWER, .name = name, .type = qtype};
		return true;
	}
	if (rcode == DNSD_RCODE_NOERROR && (h.flags & DNSD_FLAG_AA)) {
		*k = (dnsd_rrl_key){.cls = DNSD_RRL_NODATA, .name = name};
		return true;
	}
	/* NXDOMAIN and referrals: the owner of the first authority record
	 * (the zone's SOA, the delegation's NS); the query name if none. */
	k->cls = rcode == DNSD_RCODE_NXDOMAIN ? DNSD_RRL_NXDOMAIN
	                                      : DNSD_RRL_REFERRAL;
	k->type = 0;
	k->name = name;
	if (h.nscount > 0) {
		uint8_t owner[DNSD_NAME_MAX];
		rrl_skip_rrs(&w, h.ancount);
		if (dnsd_name_from_wire(&w, owner) > 0 && w.err == 0)
			memcpy(name, owner, dnsd_name_len(owner));
	}
	return true;
}

/* The truncated form: the header with TC and no records, the question. */
static size_t rrl_slip(uint8_t *resp, size_t len, size_t question_end)
{
	dnsd_hdr h;
	if (dnsd_hdr_parse(resp, len, &h) < 0)
		return 0;
	dnsd_wire w;
	dnsd_wire_init_write(&w, resp, DNSD_HDR_LEN);
	dnsd_wire_put_u16(&w, h.id);
	dnsd_wire_put_u16(&w, (uint16_t)(h.flags | DNSD_FLAG_TC));
	dnsd_wire_put_u16(&w, h.qdcount);
	dnsd_wire_put_u16(&w, 0);
	dnsd_wire_put_u16(&w, 0);
	dnsd_wire_put_u16(&w, 0);
	return w.err == 0 ? question_end : 0;
}

size_t dnsd_rrl_response(dnsd_rrl *t, const struct sockaddr *peer,
                         uint8_t *resp, size_t len, uint64_t now_ms)
{
	dnsd_rrl_key k;
	uint8_t name[DNSD_NAME_MAX];
	size_t qend = 0;
	if (!dnsd_rrl_classify(resp, len, &k, name, &qend))
		return len;
	switch (dnsd_rrl_account(t, peer, &k, now_ms)) {
	case DNSD_RRL_PASS:
		return len;
	case DNSD_RRL_SLIP:
		return rrl_slip(resp, len, qend);
	case DNSD_RRL_DROP:
		break;
	}
	return 0;
}

void dnsd_rrl_stats_get(const dnsd_rrl *t, dnsd_rrl_stats *st)
{
	*st = t->st;
}

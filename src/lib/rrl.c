/* Response rate limiting: a fixed table of token buckets (rrl.h). */
#include <arpa/inet.h>
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

/* 16 octets, so that the DNSD_RRL_PROBE buckets a key may use are one
 * cache line: a lookup in a table larger than the cache misses once. */
struct rrl_bucket {
	uint32_t tag;     /* the key's upper half, odd; 0: never used */
	uint32_t stamp;   /* ms of the last refill, modulo 2^32 */
	int32_t tokens;   /* thousandths of a response */
	uint32_t limited; /* responses limited since the bucket last passed */
};

struct dnsd_rrl {
	dnsd_rrl_opts o;
	size_t mask;
	int32_t cap; /* tokens of a full bucket: at most 10^9 */
	dnsd_rrl_stats st;
	struct rrl_bucket *b;
};

int dnsd_rrl_new(const dnsd_rrl_opts *o, dnsd_rrl **out)
{
	if (o->rate == 0 || o->rate > DNSD_RRL_RATE_MAX ||
	    o->ipv4_prefix > 32 || o->ipv6_prefix > 128)
		return DNSD_EINVAL;
	size_t n = DNSD_RRL_PROBE;
	while (n < o->table_size && n < ((size_t)1 << 30))
		n <<= 1;
	dnsd_rrl *t = calloc(1, sizeof(*t));
	if (t == NULL ||
	    (t->b = aligned_alloc(64, n * sizeof(*t->b))) == NULL) {
		free(t);
		return DNSD_ENOMEM;
	}
	memset(t->b, 0, n * sizeof(*t->b));
	t->o = *o;
	t->mask = n - 1;
	t->cap = (int32_t)(o->rate * RRL_MILLI);
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

/* Eight octets with the letters A-Z made lower-case, all at once: for
 * an octet b below 0x80, b + 0x3f reaches 0x80 from 'A' on and b + 0x25
 * from past 'Z' on, so their difference in the top bit marks the
 * capitals; octets from 0x80 on (binary labels) are left alone. */
static uint64_t rrl_lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t h = x & (0x7f * ones);
	uint64_t upper =
	    (h + 0x3f * ones) & ~(h + 0x25 * ones) & ~x & (0x80 * ones);
	return x | (upper >> 2);
}

/* A name's octets, eight at a time (a length octet is below 64, never
 * a letter, so lowering the whole name is safe). */
static uint64_t rrl_mix_name(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = rrl_mix(h, rrl_lower8(w));
	}
	uint64_t w = 0;
	memcpy(&w, p + i, n - i);
	return rrl_mix(h, rrl_lower8(w) ^ n);
}

/* The client's prefix, mixed into h: the family and the address with
 * the bits past the prefix cleared, as two words. false for another
 * family. */
static bool rrl_mix_prefix(const dnsd_rrl *t, const struct sockaddr *sa,
                           uint64_t *h)
{
	uint64_t hi, lo;
	unsigned bits;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		uint32_t a;
		memcpy(&a, &s4->sin_addr, 4);
		hi = ntohl(a);
		lo = 0;
		bits = t->o.ipv4_prefix;
		hi = bits == 0 ? 0 : hi & (0xffffffffULL << (32 - bits));
		hi |= 4ULL << 32;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = s6->sin6_addr.s6_addr;
		hi = lo = 0;
		for (unsigned i = 0; i < 8; i++) {
			hi = (hi << 8) | b[i];
			lo = (lo << 8) | b[8 + i];
		}
		bits = t->o.ipv6_prefix;
		if (bits <= 64) {
			lo = 0;
			hi = bits == 0 ? 0 : hi & (~0ULL << (64 - bits));
		} else if (bits < 128) {
			lo &= ~0ULL << (128 - bits);
		}
		lo ^= 6; /* the family: never equal to an IPv4 key */
	} else {
		return false;
	}
	*h = rrl_mix(rrl_mix(*h, hi), lo);
	return true;
}

/* The key of k from the client at sa: a seeded hash. false for a
 * family without a prefix. */
static bool rrl_key(const dnsd_rrl *t, const struct sockaddr *sa,
                    const dnsd_rrl_key *k, uint64_t *key)
{
	uint64_t h = rrl_mix(t->o.seed, ((uint64_t)k->cls << 16) | k->type);
	if (!rrl_mix_prefix(t, sa, &h))
		return false;
	if (k->name != NULL)
		h = rrl_mix_name(h, k->name, dnsd_name_len(k->name));
	*key = h;
	return true;
}

/* ---- the buckets ------------------------------------------------------ */

/* The bucket of key: one of the DNSD_RRL_PROBE of its line holding its
 * tag, or else the one used least recently, made full for it. Times
 * are milliseconds modulo 2^32: ages compare as unsigned differences. */
static struct rrl_bucket *rrl_find(dnsd_rrl *t, uint64_t key, uint32_t now)
{
	struct rrl_bucket *line =
	    &t->b[(size_t)key & t->mask & ~(size_t)(DNSD_RRL_PROBE - 1)];
	uint32_t tag = (uint32_t)(key >> 32) | 1;
	struct rrl_bucket *oldest = line;
	for (unsigned p = 0; p < DNSD_RRL_PROBE; p++) {
		struct rrl_bucket *b = &line[p];
		if (b->tag == tag)
			return b;
		if (b->tag == 0 || (uint32_t)(now - b->stamp) >
		                       (uint32_t)(now - oldest->stamp))
			oldest = b;
		if (b->tag == 0)
			break;
	}
	*oldest =
	    (struct rrl_bucket){.tag = tag, .stamp = now, .tokens = t->cap};
	return oldest;
}

static void rrl_refill(const dnsd_rrl *t, struct rrl_bucket *b, uint32_t now)
{
	uint32_t dt = now - b->stamp;
	/* the same millisecond, or a clock that went back (a difference
	 * past 2^31 ms, 24 days) */
	if (dt == 0 || dt >= 0x80000000u)
		return;
	b->stamp = now;
	/* a full second refills any bucket: no overflow for long gaps */
	if (dt >= 1000) {
		b->tokens = t->cap;
		return;
	}
	int64_t tokens = (int64_t)b->tokens + (int64_t)dt * t->o.rate;
	b->tokens = tokens > t->cap ? t->cap : (int32_t)tokens;
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
	uint64_t key;
	if (!rrl_key(t, peer, k, &key)) {
		t->st.passed++;
		return DNSD_RRL_PASS;
	}
	struct rrl_bucket *b = rrl_find(t, key, (uint32_t)now_ms);
	rrl_refill(t, b, (uint32_t)now_ms);
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

/* The question's name, in place: the first name of a message has
 * nothing before it to point to, so it is a plain label sequence;
 * NULL when it is not one. Walking its labels costs far less than
 * copying it octet by octet. */
static const uint8_t *rrl_qname(dnsd_wire *w)
{
	dnsd_wire peek = *w;
	size_t n = 0;
	for (;;) {
		uint8_t l = dnsd_wire_u8(&peek);
		n++;
		if (l == 0 || peek.err != 0)
			break;
		if (l > 63 || n + l >= DNSD_NAME_MAX)
			return NULL;
		dnsd_wire_skip(&peek, l);
		n += l;
	}
	return peek.err != 0 ? NULL : dnsd_wire_take(w, n);
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
	const uint8_t *qname = NULL;
	if (h.qdcount > 0) {
		if ((qname = rrl_qname(&w)) == NULL)
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
		    .cls = DNSD_RRL_ANSWER, .name = qname, .type = qtype};
		return true;
	}
	if (rcode == DNSD_RCODE_NOERROR && (h.flags & DNSD_FLAG_AA)) {
		*k = (dnsd_rrl_key){.cls = DNSD_RRL_NODATA, .name = qname};
		return true;
	}
	/* NXDOMAIN and referrals: the owner of the first authority record
	 * (the zone's SOA, the delegation's NS); the query name if none. */
	k->cls = rcode == DNSD_RCODE_NXDOMAIN ? DNSD_RRL_NXDOMAIN
	                                      : DNSD_RRL_REFERRAL;
	k->type = 0;
	k->name = qname;
	if (h.nscount > 0) {
		rrl_skip_rrs(&w, h.ancount);
		if (dnsd_name_from_wire(&w, name) > 0 && w.err == 0)
			k->name = name;
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

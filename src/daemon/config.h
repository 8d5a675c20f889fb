/* The config file of ../shared/DESIGN.md: one directive a line,
 * `keyword value...`, `#` comments, double quotes for values with spaces,
 * `include FILE`. Errors read `FILE:LINE: message`; an unknown keyword is
 * an error. Directives are a table (config.c), one row and one handler
 * each. */
#ifndef DNSD_DAEMON_CONFIG_H
#define DNSD_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

enum dnsd_role_id {
	DNSD_ROLE_PRIMARY,
	DNSD_ROLE_SECONDARY,
	DNSD_ROLE_LETSENCRYPT
};

#define DNSD_CONFIG_MAX_LISTEN  16
#define DNSD_CONFIG_MAX_WORKERS 64 /* == DNSD_MAX_WORKERS of server.h */

typedef struct dnsd_listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* as written, normalized: 127.0.0.1:53, [::1]:53 */
} dnsd_listen_addr;

/* An address prefix of allow-transfer: ADDR or ADDR/LEN. */
typedef struct dnsd_prefix {
	int family;       /* AF_INET, AF_INET6 */
	uint8_t addr[16]; /* network order, the bits past len zero */
	unsigned len;     /* prefix length in bits */
	char text[64];    /* normalized: 192.0.2.0/24, 2001:db8::/32 */
} dnsd_prefix;

#define DNSD_CONFIG_MAX_PREFIX 64
#define DNSD_CONFIG_MAX_NOTIFY 64

typedef struct dnsd_config {
	char *path;
	enum dnsd_role_id role;
	char *role_at; /* "FILE:LINE" of the `role` line, for messages */
	dnsd_listen_addr listen[DNSD_CONFIG_MAX_LISTEN];
	unsigned nlisten;
	char *workdir;
	char *user;
	int log_level;
	uint16_t notify_port; /* default 53 */
	char **keys;          /* `key NAME:ALG:SECRET` values, normalized:
	                         name lower-case without the final dot,
	                         ALG upper-case (SHA256) */
	unsigned nkeys;
	char **keys_files;
	unsigned nkeys_files;
	bool primary_set;
	dnsd_listen_addr primary; /* default port: notify_port */
	char *zones_dir;
	char *git_remote, *git_branch, *git_ssh_key, *git_ssh_host_key,
	    *git_author, *git_ca_file;
	unsigned git_poll;
	char *acme_directory, *acme_ca_file, *acme_email, *acme_eab;
	char *acme_key_type; /* of an account key created; NULL: ec256 */
	char *acme_profile;  /* newOrder's profile; NULL: the CA's default */
	/* serving */
	uint16_t edns_payload;     /* `edns-payload N`, 512..4096, 1232 */
	unsigned workers;          /* `workers N`, 1 by default */
	unsigned tcp_idle_timeout; /* `tcp-idle-timeout S`, 10 */
	unsigned tcp_max_clients;  /* `tcp-max-clients N`, 256 */
	unsigned tcp_max_queries;  /* `tcp-max-queries N` per connection,
	                              1000 */
	/* response rate limiting of UDP answers (rrl.h), per worker */
	unsigned rrl_rate;               /* `rrl-rate N` a second, 0 (off) */
	unsigned rrl_slip;               /* `rrl-slip N`, 2 */
	unsigned rrl_ipv4_prefix;        /* `rrl-ipv4-prefix LEN`, 24 */
	unsigned rrl_ipv6_prefix;        /* `rrl-ipv6-prefix LEN`, 56 */
	unsigned rrl_table_size;         /* `rrl-table-size N` buckets, 65536 */
	bool metrics_set;                /* `metrics-listen ADDR:PORT` given */
	dnsd_listen_addr metrics_listen; /* Prometheus over HTTP */
	/* replication out */
	dnsd_prefix allow_transfer[DNSD_CONFIG_MAX_PREFIX];
	unsigned nallow_transfer;
	dnsd_listen_addr also_notify[DNSD_CONFIG_MAX_NOTIFY]; /* port: 53 */
	unsigned nalso_notify;
	unsigned transfers_max;          /* `transfers-max N`, 10 */
	unsigned transfers_max_per_peer; /* to one address, 0: no limit of
	                                    its own (default) */
	unsigned ixfr_max_history; /* `ixfr-max-history N` serial steps, 100 */
	unsigned update_max_records; /* a zone's size an UPDATE may grow it
	                                to, 1000000 */
	unsigned update_max_pending; /* UPDATEs taken and not answered yet,
	                                1000 */
	/* what data may hold, wherever it comes from (zone files,
	 * transfers in, UPDATE): as BIND 9.18.28 after CVE-2024-1737 */
	unsigned max_records_per_type; /* `max-records-per-type N`, 1000 */
	unsigned max_types_per_name;   /* `max-types-per-name N`, 100 */
	/* replication in: the limits of one incoming transfer */
	unsigned notify_max_pending; /* `notify-max-pending N`: zones whose
	                                NOTIFY waits for the main loop, 256 */
	unsigned xfr_max_records;    /* `xfr-max-records N`, 10000000 */
	unsigned xfr_max_bytes;      /* `xfr-max-bytes N` of messages, 2e9 */
} dnsd_config;

/* Parses path (and its includes) into c. Each error is printed to errs as
 * `FILE:LINE: message`; returns 0 or -1 when there was any error. Also
 * checks the whole: a role given, the directives the role needs present,
 * those of other roles absent. */
int dnsd_config_load(const char *path, dnsd_config *c, FILE *errs);
/* The same for a config held in memory, text of len octets called name
 * in messages, its relative paths relative to dir. An include in it is
 * an error: nothing is read from the file system (the fuzz target). */
int dnsd_config_load_mem(const char *name, const char *dir, const char *text,
                         size_t len, dnsd_config *c, FILE *errs);
/* The config in normalized form (one directive a line, defaults written
 * out), which parses again to the same config. Secrets appear only when
 * with_secrets is true (never for -t or logs). */
void dnsd_config_print(const dnsd_config *c, FILE *out, bool with_secrets);
void dnsd_config_free(dnsd_config *c);
/* True when sa is inside one of the n prefixes. */
bool dnsd_prefix_match(const dnsd_prefix *p, unsigned n,
                       const struct sockaddr *sa);
/* SIGHUP: moves what may change while running (log-level, paths, keys,
 * role directives) from next into cur and frees next. What only takes
 * effect at start-up (role, listen, user, workers and the serving limits,
 * which worker threads read) stays as in cur, with a warning when next
 * differs. Main thread only. */
void dnsd_config_reload(dnsd_config *cur, dnsd_config *next);
const char *dnsd_role_name(enum dnsd_role_id r);

#endif

/* dnsd: parse the command line, load the config, then either check it
 * (-t), print it (-p), or run: bind, drop privileges, start the role,
 * start the query workers, run the main loop until SIGTERM or SIGINT.
 * SIGHUP re-reads the config and has the role reload its zones. */
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "role.h"
#include "sdnotify.h"
#include "server.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <git2.h>
#include <jansson.h>
#include <libssh2.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DNSD_DEFAULT_CONFIG
#define DNSD_DEFAULT_CONFIG "/etc/dnsd/dnsd.conf"
#endif

struct dnsd_main {
	dnsd_config cfg;
	dnsd_server s;
	struct event_base *base;
	struct event *sighup, *sigterm, *sigint;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: dnsd [-c FILE] [-t | -p]\n"
	        "       dnsd -V | -h\n"
	        "  -c FILE  config file (default %s)\n"
	        "  -t       check the config and the zone data, then exit\n"
	        "  -p       print the config in normalized form, then exit\n"
	        "  -V       print the version and the libraries' versions\n"
	        "  -h       this help\n",
	        DNSD_DEFAULT_CONFIG);
}

/* -V: dnsd's version, then the libraries' as they run (the shared
 * objects loaded, not the headers built against), a line each. */
static void main_version(void)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
	int gmaj = 0, gmin = 0, grev = 0;

	git_libgit2_version(&gmaj, &gmin, &grev);
	printf("dnsd %s\n", DNSD_VERSION);
	printf("libevent %s\n", event_get_version());
	printf("libgit2 %d.%d.%d\n", gmaj, gmin, grev);
	printf("libssh2 %s\n", libssh2_version(0));
	printf("openssl %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("libcurl %s\n", curl->version);
	printf("jansson %s\n", jansson_version_str());
}

/* Config errors of a reload go to the log, a line each. */
static void main_log_lines(char *text)
{
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save))
		log_error("%s", l);
}

static void main_reload(struct dnsd_main *m)
{
	dnsd_config next;
	char *errs = NULL;
	size_t errlen = 0;
	FILE *ef = open_memstream(&errs, &errlen);

	log_info("SIGHUP: reloading %s", m->cfg.path);
	sdnotify_reloading();
	int r = dnsd_config_load(m->cfg.path, &next, ef);
	if (ef != NULL)
		fclose(ef);
	if (r < 0) {
		if (errs != NULL)
			main_log_lines(errs);
		log_error("config: %s has errors, keeping the running "
		          "configuration",
		          m->cfg.path);
		dnsd_config_free(&next);
	} else {
		pthread_rwlock_wrlock(&m->s.cfg_lock);
		dnsd_config_reload(&m->cfg, &next);
		pthread_rwlock_unlock(&m->s.cfg_lock);
		log_set_level(m->cfg.log_level);
	}
	free(errs);
	/* The zones reload even when the config did not: a typo in the
	 * config must not hold back a zone fix. */
	if (m->s.role->on_reload != NULL &&
	    m->s.role->on_reload(&m->s, m->s.role_state) < 0)
		log_error("reload failed, serving what was loaded before");
	/* READY=1 now, or when the role's reload job ends */
	dnsd_server_ready(&m->s);
}

static void main_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dnsd_main *m = arg;

	if (sig == SIGHUP) {
		main_reload(m);
		return;
	}
	log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sdnotify_stopping();
	event_base_loopbreak(m->base);
}

/* Everything main set up, in reverse; safe on a half-started server. */
static void main_cleanup(struct dnsd_main *m)
{
	dnsd_server_stop_workers(&m->s);
	if (m->s.role != NULL && m->s.role->on_stop != NULL)
		m->s.role->on_stop(&m->s, m->s.role_state);
	dnsd_net_close(&m->s);
	dnsd_metrics_stop(&m->s);
	dnsd_server_free(&m->s);
	struct event **sigs[] = {&m->sighup, &m->sigterm, &m->sigint};
	for (size_t i = 0; i < 3; i++)
		if (*sigs[i] != NULL)
			event_free(*sigs[i]);
	if (m->base != NULL)
		event_base_free(m->base);
	dnsd_config_free(&m->cfg);
	libevent_global_shutdown();
}

static int main_signals(struct dnsd_main *m)
{
	m->sighup = evsignal_new(m->base, SIGHUP, main_signal, m);
	m->sigterm = evsignal_new(m->base, SIGTERM, main_signal, m);
	m->sigint = evsignal_new(m->base, SIGINT, main_signal, m);
	if (m->sighup == NULL || m->sigterm == NULL || m->sigint == NULL ||
	    evsignal_add(m->sighup, NULL) < 0 ||
	    evsignal_add(m->sigterm, NULL) < 0 ||
	    evsignal_add(m->sigint, NULL) < 0)
		return -1;
	return 0;
}

static int main_run(struct dnsd_main *m, const dnsd_role *role)
{
	log_set_level(m->cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	sdnotify_init();
	if (evthread_use_pthreads() < 0 ||
	    (m->base = event_base_new()) == NULL ||
	    dnsd_server_init(&m->s, m->base, &m->cfg) < 0) {
		log_error("cannot set up the event loops");
		return -1;
	}
	if (main_signals(m) < 0) {
		log_error("cannot set up signal handling");
		return -1;
	}
	dnsd_counters_self = &m->s.main_counters;
	if (dnsd_net_bind(&m->s) < 0 || dnsd_metrics_start(&m->s) < 0 ||
	    dnsd_server_drop_privileges(&m->cfg) < 0)
		return -1;
	/* on_stop runs from here on, even when on_start fails half way. */
	m->s.role = role;
	if (role->on_start(&m->s, &m->s.role_state) < 0) {
		log_error("role %s: start-up failed", role->name);
		return -1;
	}
	if (dnsd_server_start_workers(&m->s) < 0 ||
	    dnsd_server_watchdog_start(&m->s) < 0)
		return -1;
	log_info("dnsd %s started: role %s, %u listen address%s, %u "
	         "worker%s",
	         DNSD_VERSION, role->name, m->cfg.nlisten,
	         m->cfg.nlisten == 1 ? "" : "es", m->s.nworkers,
	         m->s.nworkers == 1 ? "" : "s");
	/* sockets bound, the first snapshot published (or, for a role
	 * still loading, READY=1 when it is) */
	m->s.started = true;
	dnsd_server_ready(&m->s);
	event_base_dispatch(m->base);
	log_info("stopped");
	return 0;
}

int main(int argc, char **argv)
{
	static struct dnsd_main m; /* large (the workers): not on the stack */
	const char *path = DNSD_DEFAULT_CONFIG;
	bool check = false, print = false;
	int opt;

	while ((opt = getopt(argc, argv, "c:tpVh")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'p':
			print = true;
			break;
		case 'V':
			main_version();
			return fflush(stdout) == 0 ? 0 : 1;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (check && print)) {
		usage(stderr);
		return 2;
	}

	if (dnsd_config_load(path, &m.cfg, stderr) < 0) {
		dnsd_config_free(&m.cfg);
		return 1;
	}
	if (print) {
		/* The operator's own file: keys included. */
		dnsd_config_print(&m.cfg, stdout, true);
		dnsd_config_free(&m.cfg);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	const dnsd_role *role = dnsd_role_get(m.cfg.role);
	if (role == NULL) {
		fprintf(stderr,
		        "%s: role %s is not implemented in this version of "
		        "dnsd\n",
		        m.cfg.role_at, dnsd_role_name(m.cfg.role));
		dnsd_config_free(&m.cfg);
		return 1;
	}
	if (check) {
		int r = role->on_check(&m.cfg);
		if (r == 0)
			fprintf(stderr, "%s: configuration OK\n", path);
		dnsd_config_free(&m.cfg);
		return r == 0 ? 0 : 1;
	}
	int r = main_run(&m, role);
	main_cleanup(&m);
	return r == 0 ? 0 : 1;
}

/* bench_echo ADDR PORT: the floor of UDP serving cost. Each datagram of 12
 * octets or more goes back to its sender with QR set; nothing is parsed.
 * One thread, one socket, blocking recvmmsg (MSG_WAITFORONE) and one
 * sendmmsg per batch of up to 64: the socket I/O any DNS server pays at
 * least, and what bench/serve.sh compares dnsd's CPU per query to. */
#include <arpa/inet.h>
#include <dnsd/msg.h>
#include <dnsd/wire.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUF   4096

static uint8_t buf[BATCH][BUF];
static struct mmsghdr in[BATCH], out[BATCH];
static struct iovec iov[BATCH], oiov[BATCH];
static struct sockaddr_storage peer[BATCH];

static int echo_socket(const char *addr, const char *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)atoi(port));
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)atoi(port));
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "bench_echo: bad address %s\n", addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("bench_echo: bind");
		return -1;
	}
	return fd;
}

/* Sets QR in place; false for what is not even a header. */
static bool echo_flip(uint8_t *pkt, size_t len)
{
	dnsd_wire r;
	dnsd_wire_init_read(&r, pkt, len);
	dnsd_wire_skip(&r, 2);
	uint16_t flags = dnsd_wire_u16(&r);
	if (len < DNSD_HDR_LEN || r.err)
		return false;
	dnsd_wire w;
	dnsd_wire_init_write(&w, pkt, len);
	dnsd_wire_skip(&w, 2);
	dnsd_wire_put_u16(&w, flags | DNSD_FLAG_QR);
	return true;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_echo ADDR PORT\n");
		return 2;
	}
	int fd = echo_socket(argv[1], argv[2]);
	if (fd < 0)
		return 1;
	for (unsigned i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = buf[i], .iov_len = BUF};
		oiov[i].iov_base = buf[i];
	}
	for (;;) {
		for (unsigned i = 0; i < BATCH; i++)
			in[i].msg_hdr = (struct msghdr){
			    .msg_name = &peer[i],
			    .msg_namelen = sizeof(peer[i]),
			    .msg_iov = &iov[i],
			    .msg_iovlen = 1,
			};
		int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		unsigned m = 0;
		for (int i = 0; i < n; i++) {
			if (!echo_flip(buf[i], in[i].msg_len))
				continue;
			oiov[m].iov_base = buf[i];
			oiov[m].iov_len = in[i].msg_len;
			out[m].msg_hdr = (struct msghdr){
			    .msg_name = &peer[i],
			    .msg_namelen = in[i].msg_hdr.msg_namelen,
			    .msg_iov = &oiov[m],
			    .msg_iovlen = 1,
			};
			m++;
		}
		for (unsigned sent = 0; sent < m;) {
			int r = sendmmsg(fd, out + sent, m - sent, 0);
			sent += r > 0 ? (unsigned)r : 1; /* drop what fails */
		}
	}
}

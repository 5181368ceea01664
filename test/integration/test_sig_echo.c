/*
 * A call to another server, interrupted by a signal, returns that
 * server's reply: never its own request (docs/signals.md, "Delivering").
 *
 * The victim (a child: init takes no signals from its children) calls a
 * server thread of its own in a loop while init floods it with SIGUSR1.
 * The server spins a little before each reply, so the victim is mostly
 * awaiting a reply when the pager delivers; a third thread arms a short
 * kernel timer again and again, so the pager is often preempted in the
 * middle of a delivery and the server, ready and about to answer,
 * replies then. The pager used to write back every register as it had
 * read them before that reply landed: the call "returned" its own
 * request (a0 the endpoint handle, a1 the request's label, a2.. its
 * words), as fs_call saw FS_READ_CLAIM and FS_MMAP do under load
 * (attack.read_close, attack.read_nested: read() returned 0, mmap() 0).
 *
 * Mode "fs": the same race with the file server as the other server:
 * pread()s and mmap()s of a file, checked byte for byte, under the
 * flood and the timer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"
#include "shadow.h"
#include "t.h"

#define REQ_LABEL	0x51
#define REPLY_LABEL	0x52
#define RUN_TICKS(hz)	((hz) * 6)	/* six seconds of calls */
/* Fewer handlers than this and the run proves nothing (typically a few
 * hundred, without the fix about one in six of them an echo). */
#define MIN_HANDLERS	20

static char stacks[2][8192] __attribute__((aligned(16)));
static volatile uint64_t s_ep, s_notif, stop;
static volatile int handlers;

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The other server: a short, random spin before each reply (it stays
 * ready, preempted, while the victim awaits its answer). */
static void server(uint64_t arg)
{
	struct ipc_msg m = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ul ^ arg;
	int64_t r = ipc_recv(s_ep, &m);

	for (;;) {
		if (r < 0) {
			r = ipc_recv(s_ep, &m);
			continue;
		}
		for (volatile uint64_t n = next_rand(&seed) % 3000; n; n--)
			;
		uint64_t w0 = m.w[0];
		m = (struct ipc_msg){ .info = ipc_info(REPLY_LABEL, 0, 0), .w = { ~w0, w0 + 1 } };
		r = ipc_reply_recv(s_ep, &m);
	}
}

/* Preempts whoever runs every 1..40 us: the pager too, inside a
 * delivery, where the race is. */
static void poker(uint64_t arg)
{
	uint64_t seed = 0x2545f4914f6cdd1dul ^ arg;

	while (!stop) {
		sys_timer_set(s_notif, sys_time() + 10 + next_rand(&seed) % 400);
		sys_wait(s_notif);
	}
	for (;;)
		sys_yield();
}

static void on_usr1(int sig)
{
	(void)sig;
	handlers++;
}

static int start_threads(void)
{
	int64_t task = shadow_task_create(), ep = sys_endpoint_create(),
		notif = sys_notif_create();

	if (task < 0 || ep < 0 || notif < 0)
		return -1;
	s_ep = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)ep, 0, RIGHTS_ALL);
	s_notif = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)notif, 0, RIGHTS_ALL);
	if (shadow_thread((uint64_t)task, server, 1, stacks[0], sizeof(stacks[0]), 0, 0) < 0 ||
	    shadow_thread((uint64_t)task, poker, 2, stacks[1], sizeof(stacks[1]), 0, 0) < 0)
		return -1;
	return (int)ep;
}

/* Calls to our own server: each returns its reply, or -ERR_INTR (cut
 * short before the server received it: sent again, as libsys does). */
static int victim_ipc(uint64_t ep, uint64_t until)
{
	long calls = 0, intr = 0, echoes = 0, bad = 0;

	for (uint64_t i = 1; sys_time() < until; i++) {
		struct ipc_msg m = { .info = ipc_info(REQ_LABEL, 0, 0), .w = { i, 0x5eed } };
		int64_t r = ipc_call(ep, &m);
		calls++;
		if (r == -ERR_INTR) {
			intr++;
			continue;
		}
		if (r == 0 && ipc_label(m.info) == REPLY_LABEL && m.w[0] == ~i && m.w[1] == i + 1)
			continue;
		if (ipc_label(m.info) == REQ_LABEL && m.w[0] == i)
			echoes++;
		else
			bad++;
		if (echoes + bad <= 3)
			printf("FAIL: call %lu returned r %ld info %#lx w0 %#lx w1 %#lx\n",
			       (unsigned long)i, (long)r, (unsigned long)m.info,
			       (unsigned long)m.w[0], (unsigned long)m.w[1]);
	}
	printf("sig_echo: %ld calls, %ld cut short, %d handlers, %ld echoed, %ld wrong\n",
	       calls, intr, handlers, echoes, bad);
	return echoes || bad || handlers < MIN_HANDLERS;
}

/* pread()s and mmap()s of a file whose every word is its offset. */
#define FILE_BYTES	(256u << 10)
#define CHUNK		(16u << 10)

static uint64_t buf[CHUNK / 8];

static int victim_fs(uint64_t until)
{
	long reads = 0, maps = 0, bad = 0;
	int fd = open("/sig_echo", O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		printf("FAIL: open /sig_echo: %d\n", errno);
		return 1;
	}
	for (uint64_t off = 0; off < FILE_BYTES; off += CHUNK) {
		for (uint64_t j = 0; j < CHUNK / 8; j++)
			buf[j] = off + j * 8;
		if (pwrite(fd, buf, CHUNK, (off_t)off) != CHUNK) {
			printf("FAIL: pwrite /sig_echo: %d\n", errno);
			return 1;
		}
	}
	for (uint64_t i = 0; sys_time() < until; i++) {
		uint64_t off = (i * 7 % (FILE_BYTES / CHUNK)) * CHUNK;
		ssize_t n = pread(fd, buf, CHUNK, (off_t)off);
		reads++;
		if (n != CHUNK || buf[0] != off || buf[CHUNK / 8 - 1] != off + CHUNK - 8) {
			if (bad++ < 3)
				printf("FAIL: pread at %lu: %ld bytes, first word %#lx\n",
				       (unsigned long)off, (long)n, (unsigned long)buf[0]);
			continue;
		}
		if (i % 4)
			continue;
		uint64_t *p = mmap(NULL, CHUNK, PROT_READ, MAP_SHARED, fd, (off_t)off);
		maps++;
		if (p == MAP_FAILED || p == NULL || p[0] != off) {
			if (bad++ < 3)
				printf("FAIL: mmap at %lu: %p\n", (unsigned long)off, (void *)p);
			continue;
		}
		munmap(p, CHUNK);
	}
	close(fd);
	unlink("/sig_echo");
	printf("sig_echo fs: %ld reads, %ld maps, %d handlers, %ld wrong\n", reads, maps,
	       handlers, bad);
	return bad || handlers < MIN_HANDLERS;
}

static int victim(bool fs)
{
	int ep = start_threads();
	int bad;

	if (ep < 0)
		return 2;
	uint64_t until = sys_time() + RUN_TICKS(posix_timebase());
	bad = fs ? victim_fs(until) : victim_ipc((uint64_t)ep, until);
	stop = 1;
	return bad;
}

int main(int argc, char **argv)
{
	bool fs = argc > 1 && strcmp(argv[1], "fs") == 0;
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	int st = 0;

	if (fs)
		CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);	/* the child's, from the start */
	pid_t pid = fork();

	if (pid == 0)
		_exit(victim(fs));
	CHECK(pid > 0);
	/* A signal every 20..80 us: a flood, yet the handler does not run
	 * back to back (the victim would never get past it). */
	int64_t nap = sys_notif_create();
	uint64_t seed = 0x5851f42d4c957f2dul;
	CHECK(nap > 0);
	while (pid > 0 && nap > 0 && waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGUSR1);
		sys_timer_set((uint64_t)nap, sys_time() + 200 + next_rand(&seed) % 600);
		sys_wait((uint64_t)nap);
	}
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	return t_done(fs ? "sig_echo_fs" : "sig_echo");
}

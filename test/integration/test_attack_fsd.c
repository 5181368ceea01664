/*
 * Attacks on the file server's POSIX state from ordinary processes
 * (servers/fsd: descriptor tables, open files, pipes, fork snapshots,
 * exec's hidden descriptors, the read window), and on programs run from
 * a file that changes under them (pager/exec.c). Booted as init over a
 * copy of the 1 KiB-block image (disk-run.sh: e2fsck after). argv[1]:
 *   churn    rounds of children that fill their tables (files, dups,
 *            pipes, unlinked-but-open files, mappings, windows, forks
 *            never claimed, close-on-exec sets hidden and never exec'd),
 *            half of them killed while blocked in a pipe or mid-stream:
 *            afterwards the server's open descriptions, pipes, waits,
 *            holds and free blocks, the pager's frames and the kernel's
 *            pool are what they were
 *   makers   a chain of processes, each mapping one more file and
 *            forking its successor before it ends: the file server's
 *            charges for the ended makers do not fill its table, so
 *            another process still maps a new file and runs a program
 *            (was ENOMEM from link 256 on); the holder's end frees all
 *   pipes    (known limit, disabled in ctest) chains whose links each
 *            make their share of pipes (8) and hand them to a child
 *            before they end: each last link holds 30, so four of them
 *            leave another process fewer than its own 8 (ENFILE); pipes
 *            are charged to their creator only while it lives
 *   rewrite  programs run from /tmp while another process rewrites,
 *            truncates and extends the file: whatever each run does, the
 *            pager's check passes, nothing leaks, the disk stays clean
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

#define PROBE	"/bin/xprobe"

struct fsd_counts {
	uint64_t free_blocks, descriptions, pipes, waiting, holds, frames;
};

static int64_t pcall(uint64_t label)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0) };

	return pager_call(&m);
}

static void counts(struct fsd_counts *c)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(FS_SYNC, &m, 0), 0);	/* ended clients' files close first */
	m = (struct ipc_msg){ 0 };
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	c->free_blocks = m.w[1];
	c->descriptions = m.w[5];
	m = (struct ipc_msg){ 0 };
	CHECK_EQ(fs_call(FS_PIPESTATS, &m, 0), 0);
	c->pipes = m.w[1];
	c->waiting = m.w[2];
	m = (struct ipc_msg){ 0 };
	CHECK_EQ(fs_call(FS_MAPSTATS, &m, 0), 0);
	c->holds = m.w[5];
	m = (struct ipc_msg){ .info = ipc_info(PAGER_MEMINFO, 0, 0) };
	pager_call(&m);
	c->frames = m.w[1];
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void fill_file(const char *path, size_t len, char c)
{
	static char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memset(buf, c, sizeof(buf));
	for (size_t done = 0; fd >= 0 && done < len; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			break;
	if (fd >= 0)
		close(fd);
}

/* The kernel's pool and tasks as they were: its pages in use, not its
 * free count (the pager's donations to it stay, a high-water mark, so
 * the frames it took are counted back here). */
static void kernel_back(const struct kernel_info *k0, struct fsd_counts *a, struct fsd_counts *b)
{
	struct kernel_info k;

	for (int i = 0; i < 1000; i++) {
		CHECK_EQ(sys_kernel_info(&k), 0);
		if (k.kmem_total_pages - k.kmem_free_pages ==
		    k0->kmem_total_pages - k0->kmem_free_pages && k.ntasks == k0->ntasks)
			break;
		sys_yield();
	}
	/* A donation (a busy host makes the rounds overlap more) splits
	 * the pager's 2 MiB mappings: a page table from the pool for each
	 * 2 MiB the donated frames touch (1,024 frames: 3 when unaligned). */
	uint64_t donated = k.kmem_total_pages - k0->kmem_total_pages;
	uint64_t slack = donated ? donated / 512 + 2 : 0;
	printf("attack_fsd: kernel pages used %lu, tasks %lu (were %lu, %lu); donated since %lu\n",
	       (unsigned long)(k.kmem_total_pages - k.kmem_free_pages), (unsigned long)k.ntasks,
	       (unsigned long)(k0->kmem_total_pages - k0->kmem_free_pages),
	       (unsigned long)k0->ntasks, (unsigned long)(k.kmem_total_pages - k0->kmem_total_pages));
	CHECK(k.kmem_total_pages - k.kmem_free_pages <=
	      k0->kmem_total_pages - k0->kmem_free_pages + slack);
	CHECK_EQ(k.ntasks, k0->ntasks);
	CHECK(b->frames + (k.kmem_total_pages - k0->kmem_total_pages) + 8 >= a->frames);
}

/* ---- churn ---- */

/* fork, again while the server keeps too many of our forks unclaimed
 * (FS_SNAP_MAX: the children claim theirs at their first request). */
static pid_t fork_again(void)
{
	pid_t pid;

	for (int i = 0; i < 1000; i++) {
		if ((pid = fork()) >= 0 || errno != EAGAIN)
			return pid;
		nap(2);
	}
	return -1;
}

/* One attacker: its table filled every way there is, then (kind) exit,
 * or block where its parent kills it. */
static void attacker(int i, int kind, int ready)
{
	char path[32], buf[64 << 10];
	int p[2], fds[FS_FD_MAX];
	int n = 0;

	snprintf(path, sizeof(path), "/tmp/af.%d", i);
	/* An unlinked file still open (its blocks go at the last close). */
	fill_file(path, 20 << 10, 'u');
	int u = open(path, O_RDWR);
	unlink(path);
	if (u >= 0)
		n += write(u, buf, 1024) == 1024;
	/* A large read: a window over the big file. */
	int big = open("/tmp/af.big", O_RDONLY);
	if (big >= 0)
		n += read(big, buf, sizeof(buf)) > 0;
	/* A mapping of it, never unmapped. */
	if (big >= 0 && mmap(NULL, 8192, PROT_READ, MAP_SHARED, big, 0) != MAP_FAILED)
		n++;
	/* Pipes until the server says no, one of them full. */
	while (pipe(p) == 0) {
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		while (write(p[1], buf, 4096) > 0)
			;
		fcntl(p[1], F_SETFL, 0);
		n++;
	}
	/* Dups to the end of the table, close-on-exec on half. */
	int k = 0;
	while (k < FS_FD_MAX && (fds[k] = dup(big >= 0 ? big : 0)) >= 0)
		fcntl(fds[k], F_SETFD, k & 1 ? FD_CLOEXEC : 0), k++;
	/* Forks whose children end before (or without) claiming, and
	 * snapshots made and never bound. */
	for (int f = 0; f < 3; f++) {
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		if (c > 0 && (f & 1))
			kill(c, SIGKILL);
	}
	struct ipc_msg m = { 0 };
	for (int f = 0; f < FS_SNAP_MAX + 2; f++) {
		m = (struct ipc_msg){ 0 };
		(void)fs_call(FS_FORK_PREPARE, &m, 0);
	}
	/* Close-on-exec set hidden for an exec that never comes. */
	m = (struct ipc_msg){ 0 };
	(void)fs_call(FS_EXEC_HIDE, &m, 0);
	if (kind == 0)
		_exit(n & 0);
	close(fds[2]);
	/* Blocked: reading an empty pipe (its write end ours: never EOF),
	 * or writing into the full one. The table is full: free two. */
	close(fds[0]);
	close(fds[1]);
	(void)write(ready, "r", 1);	/* the parent kills us now */
	close(ready);
	if (pipe(p) == 0) {
		if (kind == 1)
			(void)read(p[0], buf, 1);
		else
			while (write(p[1], buf, sizeof(buf)) > 0)
				;
	}
	for (;;)
		pause();
}

static void churn_round(int base)
{
	pid_t kids[8];
	int rp[2];
	char c;

	CHECK_EQ(pipe(rp), 0);
	for (int i = 0; i < 8; i++) {
		kids[i] = fork_again();
		if (kids[i] == 0) {
			close(rp[0]);
			attacker(base + i, i % 3, rp[1]);
		}
		CHECK(kids[i] > 0);
	}
	close(rp[1]);
	int blocked = 0;
	/* Five will block (EOF never comes: their unclaimed snapshots hold
	 * the write end too). */
	while (blocked < 5 && read(rp[0], &c, 1) == 1)
		blocked++;
	close(rp[0]);
	CHECK_EQ(blocked, 5);
	nap(20);
	for (int i = 0; i < 8; i++) {
		int st;
		if (kids[i] <= 0)
			continue;
		if (i % 3)
			kill(kids[i], SIGKILL);
		CHECK_EQ(waitpid(kids[i], &st, 0), kids[i]);
	}
}

static void churn(int rounds)
{
	struct fsd_counts a, b;
	struct kernel_info k0;

	fill_file("/tmp/af.big", 256 << 10, 'b');
	churn_round(0);		/* warm: programs cached, tables made */
	churn_round(0);
	counts(&a);
	CHECK_EQ(sys_kernel_info(&k0), 0);
	for (int r = 1; r <= rounds; r++)
		churn_round(r * 8);
	counts(&b);
	printf("attack_fsd: descriptions %lu -> %lu, pipes %lu -> %lu, waiting %lu -> %lu, "
	       "holds %lu -> %lu, free blocks %lu -> %lu, frames %lu -> %lu\n",
	       (unsigned long)a.descriptions, (unsigned long)b.descriptions,
	       (unsigned long)a.pipes, (unsigned long)b.pipes,
	       (unsigned long)a.waiting, (unsigned long)b.waiting,
	       (unsigned long)a.holds, (unsigned long)b.holds,
	       (unsigned long)a.free_blocks, (unsigned long)b.free_blocks,
	       (unsigned long)a.frames, (unsigned long)b.frames);
	CHECK_EQ(b.descriptions, a.descriptions);
	CHECK_EQ(b.pipes, a.pipes);
	CHECK_EQ(b.waiting, 0);
	CHECK_EQ(b.holds, a.holds);
	CHECK_EQ(b.free_blocks, a.free_blocks);
	kernel_back(&k0, &a, &b);
	/* The server still serves: a pipe, a file. */
	int p[2];
	char c = 0;
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "k", 1), 1);
	CHECK(read(p[0], &c, 1) == 1 && c == 'k');
	close(p[0]);
	close(p[1]);
	unlink("/tmp/af.big");
	CHECK_EQ(pcall(PAGER_CHECK), 0);
}

/* ---- rewrite ---- */

static void copy_file(const char *from, const char *to)
{
	static char buf[4096];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	CHECK(in >= 0 && out >= 0);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		CHECK_EQ(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* Runs of /tmp/xp (touch K: a page of its 1 MiB table) while this
 * process changes the file: any end is fine but a hang. */
static void rewrite(void)
{
	struct fsd_counts a, b;
	struct kernel_info k0;
	static char junk[8192];
	struct stat st;

	CHECK_EQ(stat(PROBE, &st), 0);
	copy_file(PROBE, "/tmp/xp");
	for (int round = 0; round < 2; round++) {
		if (round == 1) {
			counts(&a);
			CHECK_EQ(sys_kernel_info(&k0), 0);
		}
		for (int i = 0; i < 24; i++) {
			char k[16];
			snprintf(k, sizeof(k), "%d", i * 37);
			char *argv[] = { "xp", "touch", k, NULL };
			pid_t pid;
			int e = posix_spawn(&pid, "/tmp/xp", NULL, NULL, argv, NULL);
			int fd = open("/tmp/xp", O_RDWR);
			CHECK(fd >= 0);
			memset(junk, i & 1 ? 0 : 0x73, sizeof(junk));
			switch (i % 4) {
			case 0:	/* the text and the table overwritten */
				for (off_t o = 0; o < st.st_size; o += 64 << 10)
					(void)pwrite(fd, junk, sizeof(junk), o);
				break;
			case 1:	/* cut short, then grown again with holes */
				(void)ftruncate(fd, 4096);
				(void)ftruncate(fd, st.st_size);
				break;
			case 2:	/* cut to nothing */
				(void)ftruncate(fd, 0);
				break;
			case 3:	/* the program again */
				close(fd);
				fd = -1;
				copy_file(PROBE, "/tmp/xp");
				break;
			}
			if (fd >= 0)
				close(fd);
			if (e == 0) {
				int s;
				CHECK_EQ(waitpid(pid, &s, 0), pid);
			}
			if (i % 4 == 2)
				copy_file(PROBE, "/tmp/xp");
		}
		/* Reruns from a good copy are good. */
		copy_file(PROBE, "/tmp/xp");
		char *argv[] = { "xp", "exit", "5", NULL };
		pid_t pid;
		int s = 0;
		CHECK_EQ(posix_spawn(&pid, "/tmp/xp", NULL, NULL, argv, NULL), 0);
		CHECK_EQ(waitpid(pid, &s, 0), pid);
		CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 5);
	}
	counts(&b);
	printf("attack_fsd: descriptions %lu -> %lu, holds %lu -> %lu, frames %lu -> %lu\n",
	       (unsigned long)a.descriptions, (unsigned long)b.descriptions,
	       (unsigned long)a.holds, (unsigned long)b.holds,
	       (unsigned long)a.frames, (unsigned long)b.frames);
	CHECK_EQ(b.descriptions, a.descriptions);
	kernel_back(&k0, &a, &b);
	CHECK_EQ(unlink("/tmp/xp"), 0);
	CHECK_EQ(pcall(PAGER_CHECK), 0);
}

/* ---- makers ---- */

#define CHAIN	(256 + 8)	/* more makers than the server's table had */

/* A chain of processes, each mapping one more file and handing all the
 * mappings to its child before it ends: the last holds every file
 * object, each made (and charged) by a process that ended. */
static void chain(int ready)
{
	char path[32];

	for (int i = 0; i < CHAIN; i++) {
		snprintf(path, sizeof(path), "/tmp/h.%d", i);
		int fd = open(path, O_RDONLY);
		if (fd < 0 || mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED) {
			printf("attack_fsd: chain link %d: errno %d\n", i, errno);
			_exit(2);
		}
		if (i % 64 == 0)
			printf("attack_fsd: chain link %d\n", i);
		close(fd);
		pid_t c = fork_again();
		if (c < 0)
			_exit(3);
		if (c > 0)
			_exit(0);	/* the child goes on with the mappings */
	}
	pid_t me = getpid();
	(void)write(ready, &me, sizeof(me));
	close(ready);
	for (;;)
		pause();
}

/* The holder's mappings of files charged to ended makers: another
 * process still maps a file nobody maps, and runs a program nobody runs. */
static void makers(void)
{
	char path[32];
	pid_t holder = 0;
	int rp[2];

	for (int i = 0; i < CHAIN; i++) {
		snprintf(path, sizeof(path), "/tmp/h.%d", i);
		fill_file(path, 1, 'h');
	}
	fill_file("/tmp/h.victim", 4096, 'v');
	CHECK_EQ(pipe(rp), 0);
	pid_t first = fork_again();
	if (first == 0) {
		close(rp[0]);
		chain(rp[1]);
	}
	close(rp[1]);
	/* The chain's ended links are ours to reap (orphans come to init). */
	int got = 0;
	int st;
	fcntl(rp[0], F_SETFL, O_NONBLOCK);
	for (;;) {	/* reaped as they end: they count against our children */
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		got = (int)read(rp[0], &holder, sizeof(holder));
		if (got >= 0 || errno != EAGAIN)
			break;
		nap(1);
	}
	CHECK_EQ(got, (int)sizeof(holder));
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
	struct ipc_msg m = { 0 };
	CHECK_EQ(fs_call(FS_MAPSTATS, &m, 0), 0);
	printf("attack_fsd: holds with the chain's holder alive: %lu\n", (unsigned long)m.w[5]);
	CHECK(m.w[5] >= CHAIN);
	/* A mapping of a file nobody maps, in a fresh process. */
	pid_t v = fork_again();
	if (v == 0) {
		int fd = open("/tmp/h.victim", O_RDONLY);
		char *a = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (a == MAP_FAILED)
			printf("attack_fsd: victim mmap: errno %d\n", errno);
		_exit(a != MAP_FAILED && a[0] == 'v' ? 0 : 1);
	}
	CHECK_EQ(waitpid(v, &st, 0), v);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* A program nobody runs (its file object is new). */
	char *argv[] = { "xprobe", "exit", "5", NULL };
	pid_t pid;
	int e = posix_spawn(&pid, PROBE, NULL, NULL, argv, NULL);
	CHECK_EQ(e, 0);
	if (e == 0) {
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	}
	/* The holder ends: every hold goes. */
	close(rp[0]);
	CHECK(holder > 1);
	if (holder > 1) {
		kill(holder, SIGKILL);
		CHECK_EQ(waitpid(holder, &st, 0), holder);
	}
	for (int i = 0; i < 200; i++) {
		m = (struct ipc_msg){ 0 };
		CHECK_EQ(fs_call(FS_SYNC, &m, 0), 0);	/* runs the pager's releases */
		m = (struct ipc_msg){ 0 };
		CHECK_EQ(fs_call(FS_MAPSTATS, &m, 0), 0);
		if (m.w[5] < 16)
			break;
		nap(10);
	}
	printf("attack_fsd: holds after the holder ended: %lu\n", (unsigned long)m.w[5]);
	CHECK(m.w[5] < 16);
	for (int i = 0; i < CHAIN; i++) {
		snprintf(path, sizeof(path), "/tmp/h.%d", i);
		unlink(path);
	}
	unlink("/tmp/h.victim");
}

/* ---- pipes (known limit: disabled in ctest) ---- */

/* A chain whose links each make their share of pipes (8), keep the read
 * ends and hand them all to a child before they end: the last holds a
 * full table of pipes, four times one process's share. */
static void pipe_chain(int ready)
{
	int p[2], made = 0;

	for (int link = 0; link < 4; link++) {
		while (pipe(p) == 0) {
			close(p[1]);
			made++;
		}
		pid_t c = fork_again();
		if (c < 0)
			_exit(3);
		if (c > 0)
			_exit(0);
	}
	pid_t me = getpid();
	printf("attack_fsd: pipe chain's holder has %d pipes\n", made);
	(void)write(ready, &me, sizeof(me));
	close(ready);
	for (;;)
		pause();
}

static void pipes(void)
{
	pid_t holder[4] = { 0, 0, 0, 0 };
	int st;

	for (int k = 0; k < 4; k++) {
		int rp[2], got;
		CHECK_EQ(pipe(rp), 0);
		pid_t c = fork_again();
		if (c == 0) {
			close(rp[0]);
			pipe_chain(rp[1]);
		}
		close(rp[1]);
		fcntl(rp[0], F_SETFL, O_NONBLOCK);
		for (;;) {
			while (waitpid(-1, &st, WNOHANG) > 0)
				;
			got = (int)read(rp[0], &holder[k], sizeof(holder[k]));
			if (got >= 0 || errno != EAGAIN)
				break;
			nap(1);
		}
		close(rp[0]);
		CHECK_EQ(got, (int)sizeof(holder[k]));
	}
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
	/* Each holder keeps more than its share; another process does not
	 * get its own 8. */
	int mine[16], got = 0;
	while (got < 16 && pipe(&mine[got]) == 0)
		got += 2;
	printf("attack_fsd: pipes left for another process: %d\n", got / 2);
	CHECK_EQ(got / 2, 8);
	for (int i = 0; i < got; i++)
		close(mine[i]);
	for (int k = 0; k < 4; k++)
		if (holder[k] > 1) {
			kill(holder[k], SIGKILL);
			CHECK_EQ(waitpid(holder[k], &st, 0), holder[k]);
		}
	struct ipc_msg m = { 0 };
	CHECK_EQ(fs_call(FS_PIPESTATS, &m, 0), 0);
	CHECK_EQ(m.w[1], 0);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	char name[48];

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	if (!strcmp(what, "churn"))
		churn(argc > 2 ? atoi(argv[2]) : 12);
	else if (!strcmp(what, "makers"))
		makers();
	else if (!strcmp(what, "pipes"))
		pipes();
	else if (!strcmp(what, "rewrite"))
		rewrite();
	else
		CHECK(!"mode");
	sync();
	snprintf(name, sizeof(name), "attack_fsd_%s", what);
	return t_done(name);
}

/*
 * test_exec's attack, race and bench modes (test_exec.c says what each
 * checks). The attacks come from an ordinary process: ELF files on the
 * disk whose program headers lie (libsys refuses them: ENOEXEC), and raw
 * PAGER_SPAWN_FILE / PAGER_EXEC requests whose segment lists lie about a
 * good file (the pager refuses them on its own).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

#define HELLO	"/bin/hello"

static int status_of(int64_t pid)
{
	int st = -1;

	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	return st;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *read_all(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	uint8_t *b;

	if (fd < 0 || fstat(fd, &st) < 0 || !(b = malloc((size_t)st.st_size)))
		return NULL;
	if (read(fd, b, (size_t)st.st_size) != st.st_size)
		return NULL;
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void write_file(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, b, len), (long long)len);
	close(fd);
}

/* Program header i's field at off (8 bytes) set to v. */
#define PH(b, i, off) ((b) + 64 + (i) * 56 + (off))
#define PH_OFFSET	8
#define PH_VADDR	16
#define PH_FILESZ	32
#define PH_MEMSZ	40

/* The file b (patched) must be refused by spawn_path and execve alike. */
static void refused(const char *what, const uint8_t *b, size_t len)
{
	write_file("/tmp/bad", b, len);
	const char *argv[] = { "/tmp/bad", NULL };
	int64_t r = spawn_path(argv, 0);
	if (r != -ERR_NOEXEC)
		printf("FAIL: %s: spawn_path gave %ld\n", what, (long)r), t_failures++;
	int64_t c = fork();
	if (c == 0) {
		char *v[] = { "bad", NULL };
		execv("/tmp/bad", v);
		_exit(errno == ENOEXEC ? 0 : 1);
	}
	int st = status_of(c);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("FAIL: %s: execve did not say ENOEXEC (%#x)\n", what, st), t_failures++;
}

static void bad_files(void)
{
	size_t len;
	uint8_t *good = read_all(HELLO, &len), *b;

	CHECK(good != NULL);
	if (!good || !(b = malloc(len)))
		return;
	CHECK_EQ(good[64], 1);	/* PT_LOAD, PT_LOAD: hello's layout */
	CHECK_EQ(good[64 + 56], 1);
#define FRESH() memcpy(b, good, len)
	FRESH(); put64(PH(b, 0, PH_FILESZ), len);		/* past EOF */
	put64(PH(b, 0, PH_MEMSZ), len);
	refused("segment past EOF", b, len);
	FRESH(); put64(PH(b, 1, PH_VADDR), 0x10000);		/* on the text */
	refused("overlapping segments", b, len);
	FRESH(); put64(PH(b, 0, PH_VADDR), 0xffffffc000010000ul);	/* the kernel's */
	put64(b + 24, 0xffffffc000010000ul);
	refused("kernel address", b, len);
	FRESH(); put64(PH(b, 1, PH_MEMSZ), 1ul << 40);
	refused("huge memsz", b, len);
	FRESH(); put64(PH(b, 1, PH_MEMSZ), ~0ul - 0x100);
	refused("memsz wrapping", b, len);
	FRESH(); put64(PH(b, 0, PH_OFFSET), ~0ul - 0xfff + 0x0);
	refused("offset wrapping", b, len);
	uint64_t data_va;			/* entry in data (where hello's is) */
	memcpy(&data_va, PH(good, 1, PH_VADDR), 8);
	FRESH(); put64(b + 24, data_va);
	refused("entry not executable", b, len);
	FRESH(); b[56] = 0xff; b[57] = 0xff;			/* 65535 headers */
	refused("headers past the read", b, len);
	FRESH(); b[1] = 'X';
	refused("bad magic", b, len);
	refused("truncated", good, 40);
	free(b);
	free(good);
}

/* ---- raw requests ---- */

static int64_t raw(uint64_t label, uint64_t map, uint64_t entry, uint64_t nseg,
		   const struct pager_exec_seg *seg, const char *args, uint64_t arglen)
{
	uint8_t *buf = ipcbuf();
	struct ipc_msg m = { 0 };
	uint64_t k = nseg < PAGER_EXEC_SEGS_MAX ? nseg : PAGER_EXEC_SEGS_MAX;	/* a lie past 8 */

	memcpy(buf, seg, k * sizeof(*seg));
	memcpy(buf + k * sizeof(*seg), args, arglen);
	m.info = ipc_info(label, k * sizeof(*seg) + arglen, 0);
	m.w[0] = map;
	m.w[1] = entry;
	m.w[2] = nseg;
	return pager_call(&m);
}

static void raw_requests(void)
{
	struct exec_file x;
	struct pager_exec_seg good[PAGER_EXEC_SEGS_MAX], s[PAGER_EXEC_SEGS_MAX];
	const char args[] = "hello\0raw";
	uint64_t n, map, entry;
	int64_t r;

	CHECK_EQ(exec_file_open(HELLO, &x), 0);
	n = x.img.nsegments;
	map = (uint64_t)x.map;
	entry = x.img.entry;
	for (uint64_t i = 0; i < n; i++)
		good[i] = (struct pager_exec_seg){ x.img.seg[i].vaddr, x.img.seg[i].memsz,
						   x.img.seg[i].offset, x.img.seg[i].filesz,
						   x.img.seg[i].prot };
	(void)*(volatile uint8_t *)(x.map + ((good[n - 1].offset + good[n - 1].filesz) & ~4095ul));
	r = raw(PAGER_SPAWN_FILE, map, entry, n, good, args, sizeof(args));
	CHECK(r > 0);
	if (r > 0)
		CHECK_EQ(WEXITSTATUS(status_of(r)), 7);

#define BAD(expect, what) do {							\
	r = raw(PAGER_SPAWN_FILE, map, entry, n, s, args, sizeof(args));	\
	if (r != (expect))							\
		printf("FAIL: raw %s: %ld\n", what, (long)r), t_failures++;	\
	if (r > 0)								\
		status_of(r);							\
	memcpy(s, good, sizeof(s));						\
} while (0)
	memcpy(s, good, sizeof(s));
	s[0].filesz = x.size;			/* past EOF */
	s[0].memsz = x.size;
	BAD(-ERR_NOEXEC, "past EOF");
	s[0].offset = ~0ul - 0xfff;		/* offset + filesz wraps */
	BAD(-ERR_NOEXEC, "offset wraps");
	s[1].vaddr = s[0].vaddr;		/* overlapping */
	BAD(-ERR_NOEXEC, "overlap");
	s[0].vaddr = 0xffffffc000010000ul;	/* the kernel's */
	BAD(-ERR_NOEXEC, "kernel address");
	s[0].vaddr = 0x1000;			/* under mmap_min_addr */
	BAD(-ERR_NOEXEC, "page 1");
	s[1].memsz = ~0ul - 0x100;		/* wraps */
	BAD(-ERR_NOEXEC, "memsz wraps");
	s[1].memsz = 0x3000000000ul;		/* into the stack */
	BAD(-ERR_NOEXEC, "memsz into the stack");
	s[1].offset += 1;			/* not congruent */
	BAD(-ERR_NOEXEC, "incongruent offset");
	s[1].filesz = s[1].memsz + 1;
	BAD(-ERR_NOEXEC, "filesz > memsz");
	s[0].prot |= 0x100;
	BAD(-ERR_NOEXEC, "unknown prot");
	s[0].prot &= ~(uint64_t)MAP_X;		/* entry in no executable segment */
	BAD(-ERR_NOEXEC, "entry");
	s[1].memsz = 0;
	BAD(-ERR_NOEXEC, "empty segment");
	/* The mapping named: not the file's start, anonymous, nothing. */
	r = raw(PAGER_SPAWN_FILE, map + 4096, entry, n, good, args, sizeof(args));
	CHECK_EQ(r, -ERR_INVAL);
	void *anon = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, (uint64_t)anon, entry, n, good, args, sizeof(args)), -ERR_INVAL);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, 0, entry, n, good, args, sizeof(args)), -ERR_INVAL);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, ~0ul, entry, n, good, args, sizeof(args)), -ERR_INVAL);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, map, entry, 0, good, args, sizeof(args)), -ERR_NOEXEC);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, map, entry, 9, good, args, sizeof(args)), -ERR_NOEXEC);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, map, entry, ~0ul, good, args, sizeof(args)), -ERR_NOEXEC);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, map, entry, n, good, args, 0), -ERR_INVAL);
	CHECK_EQ(raw(PAGER_SPAWN_FILE, map, entry, n, good, "noend", 5), -ERR_INVAL);
	/* The segment list longer than the message. */
	struct ipc_msg m = { .info = ipc_info(PAGER_SPAWN_FILE, 16, 0), .w = { map, entry, n } };
	CHECK_EQ(pager_call(&m), -ERR_INVAL);
	/* PAGER_EXEC: init keeps its program; a child's bad request leaves
	 * it running; a good one makes it hello. */
	CHECK_EQ(raw(PAGER_EXEC, map, entry, n, good, args, sizeof(args)), -ERR_PERM);
	int64_t c = fork();
	if (c == 0) {
		memcpy(s, good, sizeof(s));
		s[1].vaddr = s[0].vaddr;
		if (raw(PAGER_EXEC, map, entry, n, s, args, sizeof(args)) != -ERR_NOEXEC)
			_exit(1);
		if (raw(PAGER_EXEC, map + 4096, entry, n, good, args, sizeof(args)) != -ERR_INVAL)
			_exit(2);
		raw(PAGER_EXEC, map, entry, n, good, args, sizeof(args));
		_exit(3);
	}
	CHECK_EQ(WEXITSTATUS(status_of(c)), 7);
	munmap(anon, 8192);
	exec_file_close(&x);

	/* The page before bss not cached (a copy nobody touched): the pager
	 * says so instead of waiting; touched, the same request works. */
	size_t len;
	uint8_t *b = read_all(HELLO, &len);
	CHECK(b != NULL);
	write_file("/tmp/h2", b, len);
	free(b);
	CHECK_EQ(exec_file_open("/tmp/h2", &x), 0);
	r = raw(PAGER_SPAWN_FILE, (uint64_t)x.map, entry, n, good, args, sizeof(args));
	printf("exec: untouched tail page: %ld\n", (long)r);
	CHECK(r == -ERR_AGAIN || r > 0);
	if (r > 0)
		status_of(r);
	(void)*(volatile uint8_t *)(x.map + ((good[n - 1].offset + good[n - 1].filesz) & ~4095ul));
	r = raw(PAGER_SPAWN_FILE, (uint64_t)x.map, entry, n, good, args, sizeof(args));
	CHECK(r > 0);
	if (r > 0)
		CHECK_EQ(WEXITSTATUS(status_of(r)), 7);
	exec_file_close(&x);
	unlink("/tmp/h2");
}

int exec_attacks(void)
{
	bad_files();
	raw_requests();
	/* Still sound and working after all that. */
	const char *argv[] = { HELLO, "after", NULL };
	int64_t pid = spawn_path(argv, 0);
	CHECK(pid > 0);
	CHECK_EQ(WEXITSTATUS(status_of(pid)), 7);
	return 0;
}

/* ---- races ---- */

static void spin(int n)
{
	for (volatile int i = 0; i < n; i++)
		;
}

static void on_usr1(int sig) { (void)sig; }

static uint64_t free_frames(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MEMINFO, 0, 0) };

	pager_call(&m);
	return m.w[1];
}

/* A process that execs itself n times, to its end. */
static void exec_loop(const char *n)
{
	const char *argv[] = { "/bin/xprobe", "loop", n, NULL };
	int64_t pid = spawn_path(argv, 0);

	CHECK(pid > 0);
	CHECK_EQ(status_of(pid), 0);
}

int exec_races(void)
{
	/* Nothing an exec leaves behind: 40 execs in one process give back
	 * every frame (the old images, their stacks and page tables, the
	 * private copies of data pages). */
	exec_loop("3");		/* warm: the program's pages in the cache */
	uint64_t free0 = free_frames();
	exec_loop("40");
	uint64_t free1 = free_frames();
	printf("exec: free frames before 40 execs %lu, after %lu\n", (unsigned long)free0,
	       (unsigned long)free1);
	CHECK(free1 + 4 >= free0);

	/* The parent's kill lands before, during or after the exec: the
	 * child always ends by a signal, and waitpid always answers. */
	for (int i = 0; i < 40; i++) {
		int64_t c = fork();
		if (c == 0) {
			signal(SIGUSR1, on_usr1);
			char *argv[] = { "xprobe", "hold", NULL };
			execv("/bin/xprobe", argv);
			_exit(99);
		}
		CHECK(c > 0);
		spin((i % 10) * 3000);
		kill((pid_t)c, (i & 1) ? SIGUSR1 : SIGKILL);
		if (i & 1) {	/* caught before the exec, or the default after */
			struct timespec ts = { 0, 20000000 };
			nanosleep(&ts, NULL);
			kill((pid_t)c, SIGKILL);
		}
		int st = status_of(c);
		CHECK(WIFSIGNALED(st) && (WTERMSIG(st) == SIGKILL || WTERMSIG(st) == SIGUSR1));
	}
	/* Killed in the middle of a chain of execs. */
	for (int i = 0; i < 20; i++) {
		const char *argv[] = { "/bin/xprobe", "loop", "1000", NULL };
		int64_t c = spawn_path(argv, 0);
		CHECK(c > 0);
		spin(2000 + i * 7919);
		kill((pid_t)c, SIGKILL);
		int st = status_of(c);
		CHECK((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || (WIFEXITED(st) && !WEXITSTATUS(st)));
	}

	/* Exec of a file being rewritten with garbage: each start runs,
	 * faults or is refused, and is ended if it runs away; nothing else
	 * breaks (PAGER_CHECK after, e2fsck on the host). */
	size_t len;
	uint8_t *good = read_all(HELLO, &len);
	CHECK(good != NULL);
	write_file("/tmp/busy", good, len);
	int64_t w = fork();
	if (w == 0) {
		int fd = open("/tmp/busy", O_WRONLY);
		uint8_t junk[512];
		for (int i = 0; i < 200; i++) {
			for (size_t k = 0; k < sizeof(junk); k++)
				junk[k] = (uint8_t)(i * 7 + k * 13);
			pwrite(fd, junk, sizeof(junk), (off_t)((i * 4099u) % (len - 512)));
		}
		_exit(0);
	}
	for (int i = 0; i < 20; i++) {
		const char *argv[] = { "/tmp/busy", NULL };
		int64_t c = spawn_path(argv, 0);
		if (c < 0) {
			CHECK(c == -ERR_NOEXEC || c == -ERR_AGAIN);
			continue;
		}
		int st = -1;
		for (int t = 0; t < 50 && waitpid((pid_t)c, &st, WNOHANG) == 0; t++) {
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL);
		}
		if (st == -1) {
			kill((pid_t)c, SIGKILL);
			st = status_of(c);
		}
		CHECK(WIFEXITED(st) || WIFSIGNALED(st));
	}
	CHECK_EQ(WEXITSTATUS(status_of(w)), 0);
	unlink("/tmp/busy");
	free(good);
	return 0;
}

/* ---- bench ---- */

#define BENCH_RUNS 21	/* samples, the figure is their median: the first few are cheaper
			 * than the steady state after them, and a tick lands in some */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *t, int n, const char *what)
{
	qsort(t, (size_t)n, sizeof(t[0]), cmp_u64);
	printf("bench: %s %lu instructions (%s; median of %d, spread %lu - %lu)\n", name,
	       (unsigned long)t[n / 2], what, n, (unsigned long)t[0], (unsigned long)t[n - 1]);
}

int exec_bench(void)
{
	char *argv[] = { "hello", NULL };
	const char *sargv[] = { HELLO, NULL };
	uint64_t t[BENCH_RUNS], t0;
	pid_t pid;
	int st;

	for (int i = 0; i < 2; i++)	/* warm: the program in the page cache */
		waitpid((pid_t)spawn_path(sargv, 0), &st, 0);
	for (int i = 0; i < BENCH_RUNS; i++) {
		t0 = rdinstret();
		int64_t c = fork();
		if (c == 0) {
			execv(HELLO, argv);
			_exit(99);
		}
		waitpid((pid_t)c, &st, 0);
		t[i] = rdinstret() - t0;
		CHECK_EQ(WEXITSTATUS(st), 7);
	}
	report("fork_exec_hello", t, BENCH_RUNS, "fork, execv of /bin/hello from the disk, exit, waitpid; "
	       "from test_exec");
	for (int i = 0; i < BENCH_RUNS; i++) {
		t0 = rdinstret();
		CHECK_EQ(posix_spawn(&pid, HELLO, NULL, NULL, argv, NULL), 0);
		waitpid(pid, &st, 0);
		t[i] = rdinstret() - t0;
		CHECK_EQ(WEXITSTATUS(st), 7);
	}
	report("posix_spawn_hello", t, BENCH_RUNS, "posix_spawn of /bin/hello, exit, waitpid");
	for (int i = 0; i < BENCH_RUNS; i++) {
		t0 = rdinstret();
		waitpid((pid_t)spawn_path(sargv, 0), &st, 0);
		t[i] = rdinstret() - t0;
		CHECK_EQ(WEXITSTATUS(st), 7);
	}
	report("spawn_path_hello", t, BENCH_RUNS, "spawn_path (PAGER_SPAWN_FILE) of /bin/hello, exit, waitpid");
	/* The same from a small program: test_exec's own fork and its
	 * teardown at exec cost with its size. */
	const char *b[] = { "/bin/xprobe", "bench", NULL };
	int64_t small = spawn_path(b, 0);
	CHECK(small > 0);
	CHECK_EQ(status_of(small), 0);
	return 0;
}

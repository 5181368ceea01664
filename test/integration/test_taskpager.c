/*
 * Per-task pagers (PSPAWN_PAGER, PAGER_FAULT_FORWARD; pager/forward.c).
 * We start a child of our own program whose faults come to our endpoint
 * and serve it by forwarding; the modes below are the protocol's cases
 * and attacks on it. `touch N [NAME] [fork]` is the child's part: write
 * one byte to each of N fresh anonymous pages (NAME: print the cost per
 * page as a bench line; fork: then fork and write them all again, so
 * each is a copy-on-write fault).
 *   forward        a child served to completion; how each fault went
 *   kill_self      we answer a fault ourselves (kill), and we hold one
 *                  and never answer until we kill the child
 *   attack_pid     forwards naming the wrong process, malformed forwards,
 *                  and a sibling forwarding for our child: refused
 *   attack_reuse   a spent reply handle forwarded again; a forward after
 *                  the child died
 *   attack_forged  a reply handle of another thread (our own task's)
 *                  forwarded for the child: nothing maps into that task
 *   holder_dies    the holder dies holding a fault: its child ends
 *   attack_rss     a child over its resident limit is ended though its
 *                  faults come forwarded
 *   fill           (with the disk) the child maps a file: faults on pages
 *                  not cached wait for their fill and are answered then
 *   bench          instructions per page: forwarded vs direct faults
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "taskpager.h"
#include "t.h"

#define PS 4096ul
#define SUB_BADGE 0x77

/* touch's "segv": a store to a PROT_NONE page runs the handler, which
 * opens the page; the store then goes through (a sigreturn). */
static char *guard;

static void open_guard(int sig)
{
	(void)sig;
	mprotect(guard, PS, PROT_READ | PROT_WRITE);
}

static int touch(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 8;
	const char *name = argc > 3 && strcmp(argv[3], "fork") && strcmp(argv[3], "segv") ? argv[3] : NULL;
	bool cow = argc > 3 && !strcmp(argv[argc - 1], "fork");
	char *p = mmap(NULL, (size_t)n * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	uint64_t t0 = rdinstret();
	for (int i = 0; i < n; i++)
		p[(size_t)i * PS] = 1;
	uint64_t t1 = rdinstret();
	if (cow) {
		pid_t k = fork();	/* holds the pages while we write them */
		if (k == 0)
			for (;;)
				sys_yield();
		for (int i = 0; i < n; i++)
			p[(size_t)i * PS] = 2;
		if (k < 0 || kill(k, SIGKILL) < 0 || waitpid(k, NULL, 0) != k)
			return 1;
	}
	if (argc > 3 && !strcmp(argv[argc - 1], "segv")) {
		guard = mmap(NULL, PS, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (guard == MAP_FAILED || signal(SIGSEGV, open_guard) == SIG_ERR)
			return 1;
		*(volatile char *)guard = 5;
		if (*(volatile char *)guard != 5)
			return 1;
		name = NULL;
	}
	if (name)
		printf("bench: %s %lu instructions\n", name, (unsigned long)((t1 - t0) / (uint64_t)n));
	printf("touch: %d pages at %p-%p\n", n, (void *)p, (void *)(p + (size_t)n * PS));
	return 0;
}

/* The child's part for fill: read n pages of /data/cold.bin (64-byte
 * lines "cold %058d\n", the number the line's offset / 64) through a
 * shared mapping, then write one page of a private one. */
static int mapread(int n)
{
	int fd = open("/data/cold.bin", O_RDONLY);
	char *p = fd < 0 ? MAP_FAILED : mmap(NULL, (size_t)n * PS, PROT_READ, MAP_SHARED, fd, 0);
	char *q = fd < 0 ? MAP_FAILED : mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED || q == MAP_FAILED)
		return 1;
	for (int i = 0; i < n; i++) {
		if (memcmp(p + (size_t)i * PS, "cold ", 5) ||
		    atoi(p + (size_t)i * PS + 5) != i * (int)(PS / 64))
			return 2;
	}
	if (q[0] != 'c')
		return 3;
	q[0] = 'X';	/* a private copy of the file's page */
	printf("mapread: %d pages of /data/cold.bin as they are on the disk\n", n);
	return q[0] == 'X' && p[0] == 'c' ? 0 : 4;
}

struct served {
	int faults, how[PFWD_RESUMED + 1], errors;
};

/* Forward every fault of pid until its death message. */
static void serve(uint64_t ep, int64_t pid, struct served *s)
{
	struct ipc_msg m = { 0 };

	for (;;) {
		CHECK_EQ(ipc_recv(ep, &m), 0);
		CHECK_EQ(taskpager_pid(&m), pid);
		if (taskpager_is_death(&m)) {
			taskpager_forward_death(pid);	/* gone already: -ERR_SRCH */
			return;
		}
		CHECK(taskpager_is_fault(&m));
		int64_t how = taskpager_forward(&m, pid, NULL);
		if (how <= 0 || how > PFWD_RESUMED)
			s->errors++;
		else
			s->how[how]++;
		s->faults++;
	}
}

static int64_t start(uint64_t ep, const char *n, const char *extra)
{
	const char *argv[] = { "test_taskpager", "touch", n, extra, NULL };
	int64_t pid = taskpager_start(argv, ep);

	CHECK(pid > 0);
	return pid;
}

static int wait_status(int64_t pid)
{
	int st = -1;

	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	return st;
}

/* A forward made by hand: any pid, kind, handle. */
static int64_t fwd_raw(const struct ipc_msg *f, int64_t pid, uint64_t kind, int64_t h)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_FAULT_FORWARD, 0, h > 0 ? IPC_GRANT : 0),
			     .w = { f->w[0], f->w[1], f->w[2], kind, (uint64_t)pid, (uint64_t)h } };
	return pager_call(&m);
}

static void mode_forward(uint64_t ep)
{
	const char *none[] = { "test_taskpager", "touch", "4", NULL };
	struct served s = { 0 };
	struct mem_info mi0, mi1;

	/* A per-task child needs an endpoint; unknown flags are refused. */
	CHECK_EQ(spawn_flags(none, 0, PSPAWN_PAGER), -ERR_INVAL);
	CHECK_EQ(spawn_flags(none, ep, 0x100), -ERR_INVAL);
	CHECK_EQ(mem_info(&mi0), 0);
	int64_t pid = start(ep, "16", "fork");
	serve(ep, pid, &s);
	CHECK_EQ(wait_status(pid), 0);
	CHECK_EQ(mem_info(&mi1), 0);
	printf("forward: %d faults: mapped %d zero %d copy %d fill %d signal %d\n", s.faults,
	       s.how[PFWD_MAPPED], s.how[PFWD_ZERO], s.how[PFWD_COPY], s.how[PFWD_FILL],
	       s.how[PFWD_SIGNAL]);
	CHECK_EQ(s.errors, 0);
	CHECK(s.how[PFWD_MAPPED] >= 1);		/* its code, preloaded */
	CHECK(s.how[PFWD_ZERO] >= 16);		/* the pages it touched */
	CHECK(s.how[PFWD_COPY] >= 16);		/* touched again after fork */
	/* The pager counted them as its own faults (and the fork's). */
	CHECK(mi1.page_faults - mi0.page_faults >= (uint64_t)s.faults);

	/* A SIGSEGV handler runs (the pager enters it), and its return (a
	 * breakpoint the pager knows) comes to us and goes on too. */
	struct served g = { 0 };
	pid = start(ep, "4", "segv");
	serve(ep, pid, &g);
	CHECK_EQ(wait_status(pid), 0);
	CHECK_EQ(g.errors, 0);
	CHECK_EQ(g.how[PFWD_SIGNAL], 2);
}

static void mode_kill_self(uint64_t ep)
{
	struct ipc_msg m = { 0 };

	/* We answer its first fault with a kill: its death comes to us, and
	 * the pager hears of it from us. */
	int64_t pid = start(ep, "4", NULL);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK(taskpager_is_fault(&m));
	CHECK_EQ(taskpager_answer(FAULT_REPLY_KILL), 0);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK(taskpager_is_death(&m));
	CHECK_EQ(m.w[0], THREAD_EXIT_FAULT_KILL);
	CHECK_EQ(taskpager_forward_death(pid), PFWD_ENDED);
	CHECK_EQ(wait_status(pid), SIGKILL);

	/* A fault we hold and never answer: the child waits, nothing else
	 * does; killing it (it is our child) ends it. */
	pid = start(ep, "4", NULL);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK(taskpager_is_fault(&m));
	int64_t h = sys_reply_save();
	CHECK(h > 0);
	for (int i = 0; i < 20; i++)
		sys_yield();
	CHECK_EQ(kill((pid_t)pid, 0), 0);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(wait_status(pid), SIGKILL);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK(taskpager_is_death(&m));
	CHECK_EQ(taskpager_forward_death(pid), -ERR_PERM);	/* reaped: not ours now */
	CHECK_EQ(fwd_raw(&m, pid, FAULT_KIND_PAGE, h), -ERR_PERM);
	CHECK_EQ(sys_handle_close((uint64_t)h), 0);
}

static void mode_attack_pid(uint64_t ep)
{
	const char *plain[] = { "test_taskpager", "touch", "4", NULL };
	struct served s = { 0 };
	struct ipc_msg m = { 0 };
	int64_t other = spawn(plain, 0), pid = start(ep, "8", NULL);

	CHECK(other > 0);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK(taskpager_is_fault(&m));
	int64_t h = sys_reply_save();
	CHECK(h > 0);
	/* Only our per-task child's faults may be forwarded, by us. */
	CHECK_EQ(fwd_raw(&m, other, FAULT_KIND_PAGE, h), -ERR_PERM);	/* a plain child */
	CHECK_EQ(fwd_raw(&m, getpid(), FAULT_KIND_PAGE, h), -ERR_PERM);	/* ourselves */
	CHECK_EQ(fwd_raw(&m, 0, FAULT_KIND_PAGE, h), -ERR_PERM);
	CHECK_EQ(fwd_raw(&m, 1 << 20, FAULT_KIND_PAGE, h), -ERR_PERM);
	CHECK_EQ(fwd_raw(&m, -1, FAULT_KIND_PAGE, h), -ERR_PERM);
	/* Malformed: no handle, a bad kind or access. */
	CHECK_EQ(fwd_raw(&m, pid, FAULT_KIND_PAGE, 0), -ERR_INVAL);
	CHECK_EQ(fwd_raw(&m, pid, 0, h), -ERR_INVAL);
	CHECK_EQ(fwd_raw(&m, pid, 99, h), -ERR_INVAL);
	struct ipc_msg bad = m;
	bad.w[1] = 7;
	CHECK_EQ(fwd_raw(&bad, pid, FAULT_KIND_PAGE, h), -ERR_INVAL);
	/* A process that did not start it (our fork) cannot forward for it,
	 * nor declare it dead. */
	pid_t sib = fork();
	if (sib == 0) {
		int64_t e = sys_endpoint_create();
		bool ok = e > 0 && fwd_raw(&m, pid, FAULT_KIND_PAGE, e) == -ERR_PERM &&
			  taskpager_forward_death(pid) == -ERR_PERM;
		_exit(ok ? 0 : 1);
	}
	CHECK(sib > 0);
	CHECK_EQ(wait_status(sib), 0);
	/* It still waits, unharmed: now the real forward. */
	CHECK(fwd_raw(&m, pid, FAULT_KIND_PAGE, h) > 0);
	CHECK_EQ(sys_handle_close((uint64_t)h), 0);
	serve(ep, pid, &s);
	CHECK_EQ(s.errors, 0);
	CHECK_EQ(wait_status(pid), 0);
	CHECK_EQ(wait_status(other), 0);
}

static void mode_attack_reuse(uint64_t ep)
{
	struct served s = { 0 };
	struct ipc_msg first = { 0 };
	int64_t pid = start(ep, "8", NULL);

	CHECK_EQ(ipc_recv(ep, &first), 0);
	int64_t h = sys_reply_save();
	CHECK(h > 0);
	CHECK(fwd_raw(&first, pid, FAULT_KIND_PAGE, h) > 0);
	/* Spent: the second answer reaches nobody, and says so. */
	CHECK_EQ(fwd_raw(&first, pid, FAULT_KIND_PAGE, h), -ERR_INVAL);
	CHECK_EQ(fwd_raw(&first, pid, FAULT_KIND_PAGE, h), -ERR_INVAL);
	serve(ep, pid, &s);
	CHECK_EQ(s.errors, 0);
	/* Dead but not reaped, then reaped: the old handle answers nothing. */
	CHECK_EQ(fwd_raw(&first, pid, FAULT_KIND_PAGE, h), -ERR_SRCH);
	CHECK_EQ(taskpager_forward_death(pid), -ERR_SRCH);
	CHECK_EQ(wait_status(pid), 0);
	CHECK_EQ(fwd_raw(&first, pid, FAULT_KIND_PAGE, h), -ERR_PERM);
	CHECK_EQ(sys_handle_close((uint64_t)h), 0);
}

static void mode_attack_forged(uint64_t ep)
{
	uint64_t code = (uint64_t)&touch & ~(PS - 1);	/* the child's too: the same program */
	struct served s = { 0 };
	struct task_info ti;
	struct ipc_msg m = { 0 }, held = { 0 };
	int64_t pid = start(ep, "8", NULL);

	CHECK_EQ(ipc_recv(ep, &held), 0);
	int64_t hc = sys_reply_save();
	CHECK(hc > 0);
	/* A thread of a task of ours faults to the same endpoint. */
	int64_t task = sys_task_create();
	CHECK(task > 0);
	CHECK(sys_thread_create((uint64_t)task, code, 0, 0, ep, SUB_BADGE) > 0);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK_EQ(m.badge, SUB_BADGE);
	CHECK_EQ(m.w[0], code);
	int64_t hs = sys_reply_save();
	CHECK(hs > 0);
	/* Its reply handle, forwarded as the child's fault on the child's
	 * code page: the pager maps into the child, and only resumes the
	 * thread the handle names, which faults again on the same page. */
	CHECK(fwd_raw(&m, pid, FAULT_KIND_PAGE, hs) > 0);
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.mapped_pages, 0);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK_EQ(m.badge, SUB_BADGE);
	CHECK_EQ(m.w[0], code);
	CHECK_EQ(taskpager_answer(FAULT_REPLY_KILL), 0);
	CHECK_EQ(ipc_recv(ep, &m), 0);
	CHECK(taskpager_is_death(&m) && m.badge == SUB_BADGE);
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	CHECK_EQ(sys_handle_close((uint64_t)hs), 0);
	/* The child waited all along; now its own fault goes on. */
	CHECK(fwd_raw(&held, pid, FAULT_KIND_PAGE, hc) > 0);
	CHECK_EQ(sys_handle_close((uint64_t)hc), 0);
	serve(ep, pid, &s);
	CHECK_EQ(s.errors, 0);
	CHECK_EQ(wait_status(pid), 0);
}

static void mode_holder_dies(uint64_t ep)
{
	volatile int64_t *shared = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
					-1, 0);
	struct served s = { 0 };

	CHECK(shared != MAP_FAILED);
	shared[0] = shared[1] = 0;
	pid_t holder = fork();
	if (holder == 0) {	/* takes the child's first fault and sits on it */
		int64_t e = sys_endpoint_create();
		struct ipc_msg m = { 0 };
		shared[0] = e > 0 ? start((uint64_t)e, "4", NULL) : -1;
		if (e > 0 && ipc_recv((uint64_t)e, &m) == 0)
			shared[1] = 1;
		for (;;)
			ipc_recv((uint64_t)e, &m);
	}
	CHECK(holder > 0);
	for (int i = 0; i < 100000 && !shared[1]; i++)
		sys_yield();
	CHECK_EQ(shared[1], 1);
	int64_t child = shared[0];
	CHECK(child > 0);
	CHECK_EQ(kill((pid_t)child, 0), 0);	/* alive, waiting */
	CHECK_EQ(kill(holder, SIGKILL), 0);
	CHECK_EQ(wait_status(holder), SIGKILL);
	/* Its child came to us (init) and ended: nobody would serve it. */
	CHECK_EQ(wait_status(child), SIGKILL);
	/* Everything else goes on: a new per-task child runs to the end. */
	int64_t pid = start(ep, "8", NULL);
	serve(ep, pid, &s);
	CHECK_EQ(s.errors, 0);
	CHECK_EQ(wait_status(pid), 0);
}

static void mode_attack_rss(uint64_t ep)
{
	struct served s = { 0 };
	int64_t pid = start(ep, "1024", NULL);

	CHECK_EQ(pager_setrlimit(pid, PRLIMIT_RSS, 64), 0);
	serve(ep, pid, &s);
	CHECK_EQ(wait_status(pid), SIGKILL);
	CHECK(s.faults < 1024);
	CHECK(s.how[PFWD_ENDED] == 1 || s.errors == 0);
}

static void mode_fill(uint64_t ep)
{
	const char *argv[] = { "test_taskpager", "mapread", "32", NULL };
	struct served s = { 0 };

	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	int64_t pid = taskpager_start(argv, ep);
	CHECK(pid > 0);
	serve(ep, pid, &s);
	printf("fill: %d faults: mapped %d zero %d copy %d fill %d\n", s.faults, s.how[PFWD_MAPPED],
	       s.how[PFWD_ZERO], s.how[PFWD_COPY], s.how[PFWD_FILL]);
	CHECK_EQ(wait_status(pid), 0);
	CHECK_EQ(s.errors, 0);
	CHECK(s.how[PFWD_FILL] >= 1);	/* cold pages: answered after their read */
	CHECK(s.how[PFWD_COPY] >= 1);	/* the private page written */

	/* A program from the disk (PAGER_SPAWN_IMAGE's w2 flags). */
	const char *hello[] = { "/bin/hello", "per-task", NULL };
	struct served h = { 0 };
	CHECK_EQ(spawn_path_flags(hello, ep, 8), -ERR_INVAL);
	CHECK_EQ(spawn_path_flags(hello, 0, PSPAWN_PAGER), -ERR_INVAL);
	pid = taskpager_start(hello, ep);
	CHECK(pid > 0);
	serve(ep, pid, &h);
	CHECK_EQ(wait_status(pid), 7 << 8);
	CHECK(h.faults >= 1);
	CHECK_EQ(h.errors, 0);
}

static void mode_bench(uint64_t ep)
{
	const char *plain[] = { "test_taskpager", "touch", "256", "anon_fault_direct", NULL };
	struct served s = { 0 };
	uint64_t t0 = rdinstret();

	for (int i = 0; i < 2000; i++)	/* the unit, in the same run */
		sys_debug_write(NULL, 0);
	printf("bench: null_syscall_here %lu instructions\n", (unsigned long)((rdinstret() - t0) / 2000));
	int64_t pid = spawn(plain, 0);
	CHECK(pid > 0);
	CHECK_EQ(wait_status(pid), 0);
	pid = start(ep, "256", "trace_fault_forward");
	serve(ep, pid, &s);
	CHECK_EQ(wait_status(pid), 0);
	CHECK_EQ(s.errors, 0);
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*run)(uint64_t ep); } modes[] = {
		{ "forward", mode_forward }, { "kill_self", mode_kill_self },
		{ "attack_pid", mode_attack_pid }, { "attack_reuse", mode_attack_reuse },
		{ "attack_forged", mode_attack_forged }, { "holder_dies", mode_holder_dies },
		{ "attack_rss", mode_attack_rss }, { "fill", mode_fill }, { "bench", mode_bench },
	};
	char name[48];

	if (argc > 1 && !strcmp(argv[1], "touch"))
		return touch(argc, argv);
	if (argc > 2 && !strcmp(argv[1], "mapread"))
		return mapread(atoi(argv[2]));
	for (unsigned i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		int64_t ep = sys_endpoint_create();
		CHECK(ep > 0);
		modes[i].run((uint64_t)ep);
		CHECK_EQ(pager_check(), 0);
		snprintf(name, sizeof(name), "taskpager_%s", argv[1]);
		return t_done(name);
	}
	printf("FAIL: taskpager: no mode \"%s\"\n", argc > 1 ? argv[1] : "");
	return 1;
}

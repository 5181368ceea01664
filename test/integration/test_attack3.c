/*
 * Attacks on the signal frame's kept IPC buffer, sigaltstack and fork's
 * copy of small private objects, as init (no disk). argv[1]:
 *   keep      forged frames handed to libsys's __psig_dispatch: ipc_keep
 *             huge, negative, past the buffer, not a multiple of 8: the
 *             copy is clamped to the buffer (no stack smashed, no word
 *             outside the buffer written), and what the handler wrote
 *             over the kept bytes is undone
 *   altstack  sigaltstack past user space, wrapping, huge: EINVAL; an
 *             alternate stack unmapped or made read-only after it was
 *             set: the SA_ONSTACK signal ends only that process
 *             (SIGSEGV), the pager's check passes, the kernel pool comes
 *             back; nested SA_ONSTACK handlers (SA_NODEFER) stay on the
 *             alternate stack, each frame below the last
 *   forks     300 forks of a process holding small private objects (an
 *             anonymous one, the data segment's file-private one, one
 *             split in two by mprotect, one touched by mremap): every
 *             child sees what was there and only its own writes, the
 *             parent only its own; frames, the pager's check and the
 *             kernel pool back to their start after all are reaped
 */
#define _GNU_SOURCE	/* pipe2 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include "abi/signal.h"
#include "libsys_file.h"
#include "mm.h"
#include "pool.h"
#include "t.h"

/* ---- keep ---- */

void __psig_dispatch(struct psig_frame *f);

static volatile int keep_calls;

static void keep_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	memset(ipcbuf(), 0xee, IPC_BUF_SIZE);	/* a handler's IPC */
	keep_calls++;
}

/* One forged frame: after the dispatch, the first `want` bytes of the
 * buffer are as before and the rest as the handler left them. */
static void keep_one(uint64_t ipc_keep, uint64_t want)
{
	static struct psig_frame f __attribute__((aligned(16)));
	uint8_t *buf = ipcbuf();
	uint64_t guard[4] = { 1, 2, 3, 4 };

	for (int i = 0; i < IPC_BUF_SIZE; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	memset(&f, 0, sizeof(f));
	f.handler = (uint64_t)keep_handler;
	f.signo = SIGUSR1;
	f.ipc_keep = ipc_keep;
	__psig_dispatch(&f);
	CHECK(guard[0] == 1 && guard[1] == 2 && guard[2] == 3 && guard[3] == 4);
	for (uint64_t i = 0; i < IPC_BUF_SIZE; i++) {
		uint8_t e = i < want ? (uint8_t)(i * 7 + 1) : 0xee;
		if (buf[i] != e) {
			printf("keep %#lx: byte %lu is %#x, not %#x\n", (unsigned long)ipc_keep,
			       (unsigned long)i, buf[i], e);
			CHECK(0);
			break;
		}
	}
}

static int keep_mode(void)
{
	keep_one(0, 0);
	keep_one(5, 8);			/* rounded up to words */
	keep_one(IPC_BUF_SIZE, IPC_BUF_SIZE);
	keep_one(IPC_BUF_SIZE + 1, IPC_BUF_SIZE);
	keep_one(1ull << 40, IPC_BUF_SIZE);
	keep_one(1ull << 63, IPC_BUF_SIZE);
	keep_one(~0ull, 0);		/* rounds to 0: nothing kept */
	keep_one(~0ull - 8, IPC_BUF_SIZE);	/* "negative" */
	keep_one(~0ull - 6, 0);		/* wraps to 0 */
	CHECK_EQ(keep_calls, 9);
	return t_done("attack3_keep");
}

/* ---- altstack ---- */

static volatile int depth_max, alt_bad;
static volatile uint64_t alt_lo, alt_hi, last_sp;

static void alt_handler(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;
	uint64_t sp = (uint64_t)&sig;
	static volatile int depth;

	(void)si;
	depth++;
	if (depth > depth_max)
		depth_max = depth;
	if (sp < alt_lo || sp >= alt_hi || (last_sp && sp >= last_sp))
		alt_bad = 1;
	if (depth > 1 && !(uc->uc_stack.ss_flags & SS_ONSTACK))
		alt_bad = 2;
	last_sp = sp;
	if (depth < 3)
		raise(sig);	/* SA_NODEFER: nested, on the stack in use */
	depth--;
}

static void alt_set(void *base, size_t size)
{
	stack_t ss = { .ss_sp = base, .ss_size = size, .ss_flags = 0 };

	CHECK_EQ(sigaltstack(&ss, NULL), 0);
}

static void alt_action(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = alt_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
}

/* A child whose alternate stack is made unusable (how) before the
 * signal: it must end by SIGSEGV, and only it. */
static void alt_gone(int how)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *s = mmap(NULL, 4 * PS, RW, ANON_PRIV, -1, 0);
		if (s == MAP_FAILED)
			_exit(10);
		s[0] = 1;
		alt_set(s, 4 * PS);
		alt_action();
		if (how == 0 && munmap(s, 4 * PS) != 0)
			_exit(11);
		if (how == 1 && mprotect(s, 4 * PS, PROT_READ) != 0)
			_exit(12);
		if (how == 2 && mmap(s, 4 * PS, PROT_NONE, ANON_PRIV | MAP_FIXED, -1, 0) != s)
			_exit(13);
		raise(SIGUSR1);
		_exit(0);	/* the handler ran on memory it may not write */
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (!IS_SEGV(st))
		printf("alt_gone %d: status %#x\n", how, st);
	CHECK(IS_SEGV(st));
}

static int altstack_mode(void)
{
	struct kernel_info k0;
	stack_t ss = { 0 };
	static char stk[4 * 4096] __attribute__((aligned(16)));

	CHECK_EQ(sys_kernel_info(&k0), 0);
	ss.ss_size = 2 * PS;
	ss.ss_sp = (void *)(USER_TOP - PS);		/* runs past user space */
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_sp = (void *)USER_TOP;
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_sp = (void *)(~0ul - PS);			/* wraps */
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_sp = stk;
	ss.ss_size = ~0ul;
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_size = ~0ul >> 1;
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_size = 1;
	CHECK_ERR(sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_flags = SS_ONSTACK | 0x100;
	ss.ss_size = sizeof(stk);
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL);

	/* Nested on a good one: each frame below the one before. */
	alt_set(stk, sizeof(stk));
	alt_lo = (uint64_t)stk;
	alt_hi = (uint64_t)stk + sizeof(stk);
	alt_action();
	CHECK_EQ(raise(SIGUSR1), 0);
	CHECK_EQ(depth_max, 3);
	CHECK_EQ(alt_bad, 0);
	CHECK_EQ(sigaltstack(NULL, &ss), 0);
	CHECK_EQ(ss.ss_flags, 0);

	for (int i = 0; i < 20; i++)
		alt_gone(i % 3);
	CHECK_EQ(pager_check(), 0);
	pool_back("altstack", &k0);
	return t_done("attack3_altstack");
}

/* ---- forks ---- */

static char data_word[64] = "data";

static int fork_child(volatile char *a, volatile char *sp, volatile char *mr, int n)
{
	if (a[0] != (char)n || a[PS] != 'a' || sp[0] != 's' || sp[2 * PS] != 't' ||
	    mr[0] != 'm' || data_word[0] != (char)(n + 1))
		return 2;
	a[0] = 'C';
	sp[0] = 'C';
	mr[0] = 'C';
	data_word[0] = 'C';
	sys_yield();
	if (a[0] != 'C' || sp[0] != 'C' || mr[0] != 'C' || data_word[0] != 'C')
		return 3;
	return 0;
}

static int forks_mode(void)
{
	struct kernel_info k0;
	volatile char *a, *sp, *mr;
	uint64_t d0 = 0;
	int st;

	a = mmap(NULL, 2 * PS, RW, ANON_PRIV, -1, 0);
	sp = mmap(NULL, 3 * PS, RW, ANON_PRIV, -1, 0);
	mr = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	CHECK(a != MAP_FAILED && sp != MAP_FAILED && mr != MAP_FAILED);
	a[PS] = 'a';
	sp[0] = 's';
	sp[2 * PS] = 't';
	mr[0] = 'm';
	CHECK_EQ(mprotect((void *)(sp + PS), PS, PROT_READ), 0);	/* one object, 3 VMAs */
	mr = mremap((void *)mr, PS, 2 * PS, MREMAP_MAYMOVE);
	CHECK(mr != MAP_FAILED);
	for (int n = 0; n < 300; n++) {
		if (n == 1) {	/* warm: the data page private, the stack grown */
			CHECK_EQ(sys_kernel_info(&k0), 0);
			d0 = data_pages();
		}
		fflush(stdout);
		a[0] = (char)n;
		data_word[0] = (char)(n + 1);
		pid_t pid = fork();
		if (pid == 0)
			_exit(fork_child(a, sp, mr, n));
		CHECK(pid > 0);
		a[0] = 'P';	/* the child's copy must not see it */
		sp[0] = 's';
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		if (!IS_EXIT(st, 0))
			printf("fork %d: status %#x\n", n, st);
		CHECK(IS_EXIT(st, 0));
		CHECK(a[0] == 'P' && sp[0] == 's' && mr[0] == 'm' && data_word[0] == (char)(n + 1));
	}
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(data_pages(), d0);
	pool_back("forks", &k0);
	return t_done("attack3_forks");
}

/* ---- evicted: a valid frame on a file page dropped before sigreturn ---- */

extern const char __psig_return[];
static volatile char *ev_map;
static volatile int ev_ran;

/* Runs on the stack below the frame's page (the alternate stack is two
 * pages of a MAP_SHARED file; the frame sits at the bottom of the upper
 * page). Writes the frame's page back and drops it from the cache, then
 * returns as libsys's entry does, sp at the frame: the pager must bring
 * the page back, not call the frame bad. */
static void ev_handler(int sig, siginfo_t *si, void *ucp)
{
	uint64_t frame = (uint64_t)ucp - PSIG_FRAME_UC;
	void *page = (void *)(frame & ~(uint64_t)(PS - 1));

	(void)sig;
	(void)si;
	ev_ran++;
	if (msync(page, PS, MS_SYNC) != 0 || msync(page, PS, MS_INVALIDATE) != 0)
		_exit(20);
	__asm__ volatile("mv sp, %0\n jr %1" : : "r"(frame), "r"(__psig_return) : "memory");
}

static int ev_child(void)
{
	struct sigaction sa = { 0 };
	stack_t ss = { .ss_sp = (void *)ev_map, .ss_size = 2 * PS };

	/* The frame at the upper page's start: the top just above it. */
	ss.ss_size = PS + ((PSIG_FRAME_SIZE + 15) & ~15ul);
	sa.sa_sigaction = ev_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
		return 21;
	for (int i = 0; i < 3; i++) {
		ev_map[0] = ev_map[PS] = 1;	/* resident: delivered at once */
		if (raise(SIGUSR1) != 0)
			return 22;
		for (int k = 0; k < 100 && ev_ran != i + 1; k++)
			sys_yield();
		if (ev_ran != i + 1)
			return 23;
	}
	return 0;
}

static int evicted_mode(void)
{
	const struct proc_start *ps = &libsys_start_info;
	int fd, st;
	pid_t pid;

	CHECK(fs_start(ps->devices, ps->ndevices) > 0);
	fd = open("/tmp/attack3.ev", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 4 * PS), 0);
	ev_map = mmap(NULL, 4 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(ev_map != MAP_FAILED);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(ev_child());
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (!IS_EXIT(st, 0))
		printf("evicted: status %#x\n", st);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(pager_check(), 0);
	munmap((void *)ev_map, 4 * PS);
	close(fd);
	unlink("/tmp/attack3.ev");
	return t_done("attack3_evicted");
}

/* ---- cloexec: the new program restores what its exec hid ---- */

static int cloexec_mode(void)
{
	const struct proc_start *ps = &libsys_start_info;
	int bad = 0, st, p[2];

	CHECK(fs_start(ps->devices, ps->ndevices) > 0);
	for (int i = 0; i < 30; i++) {
		int fd = open("/tmp/attack3.cx", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		CHECK_EQ(fd, 3);
		CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/attack3_restore", "attack3_restore", "3", "4", "5", (char *)NULL);
			_exit(9);
		}
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		if (!IS_EXIT(st, 0))
			bad++;
		close(fd);
		close(p[0]);
		close(p[1]);
	}
	printf("cloexec: %d of 30 new programs got their hidden descriptors back\n", bad);
	CHECK_EQ(bad, 0);
	unlink("/tmp/attack3.cx");
	CHECK_EQ(pager_check(), 0);
	return t_done("attack3_cloexec");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "keep"))
		return keep_mode();
	if (!strcmp(mode, "altstack"))
		return altstack_mode();
	if (!strcmp(mode, "forks"))
		return forks_mode();
	if (!strcmp(mode, "evicted"))
		return evicted_mode();
	if (!strcmp(mode, "cloexec"))
		return cloexec_mode();
	printf("test_attack3: unknown mode '%s'\n", mode);
	return 1;
}

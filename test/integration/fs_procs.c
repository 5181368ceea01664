/*
 * test_fs: processes and files (descriptors closed however a process
 * ends), attacks on the server's rules, and the server answering one
 * client while another's reads wait for the disk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"
#include "fs_test.h"

static int access_done(void)
{
	struct stat st;

	return stat("/victim-done", &st) == 0;
}

/* A process's files close however it ends: killed children each holding
 * every descriptor they may have, more in all than the server's open-file
 * table; one also holds an unlinked file (freed when it dies). */
void death_closes(void)
{
	const char *argv[] = { "test_fs", "child-hog", NULL, NULL };
	struct ipc_msg m = { 0 };
	int status;

	/* An earlier part's child may still be ending (its files close when
	 * the server hears of it): let that settle before counting. */
	for (int i = 0; i < 100; i++)
		sys_yield();
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	uint64_t open0 = m.w[5];

	for (int round = 0; round < 12; round++) {
		argv[2] = round % 3 == 1 ? "exit" : round % 3 == 2 ? "crash" : NULL;
		int64_t pid = spawn(argv, 0);
		CHECK(pid > 0);
		if (round % 3)	/* it exits, or dies of a bad access */
			CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		else {
			for (int i = 0; i < 200; i++)
				sys_yield();
			kill((pid_t)pid, SIGKILL);
			CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		}
	}
	/* Every file they held is closed again (the server learns of each
	 * end from the pager). At most open0: a process of an earlier part
	 * may have ended with its files counted in open0, the server not yet
	 * told (its death relay queued behind our FS_STATFS). */
	for (int i = 0; i < 1000; i++) {
		memset(&m, 0, sizeof(m));
		CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
		if (m.w[5] <= open0 && i >= 100)
			break;
		sys_yield();
	}
	CHECK(m.w[5] <= open0);
}

/* Attacks from unprivileged processes on the file server's rules: a
 * sibling tries to take the victim's fork snapshot (its descriptors),
 * to cancel it, to flood the server with snapshots, to register a second
 * file server and to read the death queue. */
void attacks(void)
{
	const char *victim[] = { "test_fs", "child-victim", NULL };
	const char *attacker[] = { "test_fs", "child-attacker", NULL };
	int status = -1;

	unlink("/victim-seq");
	int64_t v = spawn(victim, 0);
	CHECK(v > 0);
	int64_t a = spawn(attacker, 0);
	CHECK(a > 0);
	CHECK_EQ(waitpid((pid_t)a, &status, 0), a);
	CHECK_EQ(status, 0);
	CHECK_EQ(waitpid((pid_t)v, &status, 0), v);
	CHECK_EQ(status, 0);
	unlink("/victim-seq");
}

int child_victim(void)
{
	char line[32];
	int fd = open("/data/hello.txt", O_RDONLY);
	int64_t seq = fs_fork_prepare();

	if (fd < 0 || seq <= 0)
		return 1;
	int out = open("/victim-seq.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int n = snprintf(line, sizeof(line), "%ld", (long)seq);
	if (write(out, line, (size_t)n) != n || close(out) < 0 ||
	    rename("/victim-seq.tmp", "/victim-seq") < 0)
		return 2;
	for (int i = 0; i < 2000 && !access_done(); i++)
		sys_yield();
	/* Still ours: cancelling it works once. */
	struct ipc_msg m = { .w = { (uint64_t)seq } };
	if (fs_call(FS_FORK_CANCEL, &m, 0) != 0)
		return 3;
	return 0;
}

int child_attacker(void)
{
	struct ipc_msg m = { 0 };
	struct stat st;
	char line[32] = { 0 };
	int bad = 0, i;

	for (i = 0; i < 5000 && stat("/victim-seq", &st) < 0; i++)
		sys_yield();
	int fd = open("/victim-seq", O_RDONLY);
	if (fd < 0 || read(fd, line, sizeof(line) - 1) <= 0)
		bad |= 1;
	close(fd);
	int64_t seq = strtol(line, NULL, 10);
	m = (struct ipc_msg){ .w = { (uint64_t)seq } };
	if (fs_call(FS_FORK_CLAIM, &m, 0) != -ERR_NOENT)
		bad |= 2;
	m = (struct ipc_msg){ .w = { (uint64_t)seq } };
	if (fs_call(FS_FORK_CANCEL, &m, 0) != -ERR_INVAL)
		bad |= 4;
	m = (struct ipc_msg){ .w = { (uint64_t)seq, 5 } };
	if (fs_call(FS_FORK_BIND, &m, 0) != -ERR_INVAL)
		bad |= 8;
	if (open("/victim-done", O_WRONLY | O_CREAT, 0644) < 0)
		bad |= 16;
	/* Snapshots without forking: a few, then refused. */
	int made = 0;
	int64_t mine = 0, got;
	for (i = 0; i < 20; i++)
		if ((got = fs_fork_prepare()) > 0)
			made++, mine = got;
	if (made != FS_SNAP_MAX)
		bad |= 32;
	/* Our own snapshot bound to a process that is not our child (init):
	 * refused, so no snapshot outlives us bound to a long-lived
	 * stranger, nor takes a binding meant for another's child. */
	m = (struct ipc_msg){ .w = { (uint64_t)mine, 1 } };
	if (fs_call(FS_FORK_BIND, &m, 0) != -ERR_INVAL)
		bad |= 4096;
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_REGISTER, 0, 0) };
	if (pager_call(&m) != -ERR_EXIST)
		bad |= 64;
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_DEAD, 0, 0) };
	if (pager_call(&m) != -ERR_PERM)
		bad |= 128;
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_ALIVE, 0, 0), .w = { 1 } };
	if (pager_call(&m) != -ERR_PERM)
		bad |= 256;
	/* A thread whose pager is the file server faults at once: the
	 * server stops it (it pages nothing) and serves on. */
	struct task_info ti;
	int64_t task = sys_task_create();
	if (task <= 0 || sys_thread_create((uint64_t)task, 0x10000, 0, 0, (uint64_t)fs_conn(), 0) <= 0)
		bad |= 512;
	for (i = 0; i < 100 && sys_task_info((uint64_t)task, &ti) == 0 && ti.nthreads; i++)
		sys_yield();
	if (sys_task_info((uint64_t)task, &ti) != 0 || ti.nthreads != 0)
		bad |= 1024;
	sys_task_destroy((uint64_t)task);
	int fd2 = open("/data/hello.txt", O_RDONLY);
	if (fd2 < 0)
		bad |= 2048;
	close(fd2);
	if (bad)
		printf("FAIL: attacker: %#x\n", bad);
	return bad;
}

static volatile uintptr_t bad_addr = 8;	/* kept from the compiler's view */

int child_hog(const char *how)
{
	int n = 0, fd;

	fd = open("/hog-unlinked", O_RDWR | O_CREAT, 0644);
	write(fd, "gone", 4);
	unlink("/hog-unlinked");
	while ((fd = open("/data/hello.txt", O_RDONLY)) >= 0)
		n++;
	if (errno != EMFILE || n != FS_FD_MAX - 1)
		printf("FAIL: hog opened %d, errno %d\n", n, errno);
	if (!strcmp(how, "exit"))
		return 0;	/* without closing */
	if (!strcmp(how, "crash"))
		*(volatile int *)bad_addr = 1;	/* the pager ends it: SIGSEGV */
	for (;;)
		sys_yield();	/* until killed */
}

/* Never blocked by one client: while a child reads a file larger than
 * the server's cache (its requests wait for the disk), we are answered
 * from the cache; the server counts answers given while a read was in
 * flight. */
void not_blocked(void)
{
	const char *argv[] = { "test_fs", "child-cold", NULL };
	struct ipc_msg m = { 0 };
	struct stat st;
	int status = -1;
	long mine = 0;

	CHECK_EQ(stat("/data/hello.txt", &st), 0);	/* cached now */
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	uint64_t parked0 = m.w[3], during0 = m.w[4];
	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	while (waitpid((pid_t)pid, &status, WNOHANG) == 0) {
		CHECK_EQ(stat("/data/hello.txt", &st), 0);
		mine++;
	}
	CHECK_EQ(status, 0);
	memset(&m, 0, sizeof(m));
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	printf("fs: %ld stats while the child read 4 MiB; %lu requests parked for the disk, "
	       "%lu answered during a disk read\n", mine, (unsigned long)(m.w[3] - parked0),
	       (unsigned long)(m.w[4] - during0));
	CHECK(m.w[3] > parked0);
	CHECK(m.w[4] > during0);
}

int child_cold(void)
{
	int fd = open("/data/cold.bin", O_RDONLY);
	char line[80];
	ssize_t n;
	long total = 0;

	while ((n = read(fd, buf, 16384)) > 0) {
		snprintf(line, sizeof(line), "cold %058ld\n", total / 64);
		if (memcmp(buf, line, 64))
			return 1;
		total += n;
	}
	return total == 65536 * 64 ? 0 : 2;
}

static uint64_t open_descriptions(void)
{
	struct ipc_msg m = { 0 };

	return fs_call(FS_STATFS, &m, 0) == 0 ? m.w[5] : 0;
}

/* A forked child keeps its descriptors when its parent ends before the
 * child's first request (FS_FORK_CLAIM): the snapshot bound to it
 * outlives the parent. child-orphaner forks by hand, as libsys's fork
 * does, so that its child claims only once the server has seen the
 * parent end; the orphan, given to init (us), is waited for here. */
void orphan_claim(void)
{
	const char *argv[] = { "test_fs", "child-orphaner", NULL };
	int status = -1;
	uint64_t open0 = open_descriptions();

	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	pid_t orphan = waitpid(-1, &status, 0);	/* the grandchild, now ours */
	CHECK(orphan > 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	if (WEXITSTATUS(status))
		printf("FAIL: orphan: %d\n", WEXITSTATUS(status));
	for (int i = 0; i < 100 && open_descriptions() != open0; i++)
		sys_yield();
	CHECK_EQ(open_descriptions(), open0);
}

void fork_child_entry(void);	/* libsys's fork_entry.S */

int child_orphaner(void)
{
	jmp_buf jb;
	uint64_t sp;
	char b[8];
	int fd = open("/data/hello.txt", O_RDONLY);
	int64_t snap = fs_fork_prepare();

	if (fd < 0 || snap <= 0)
		return 1;
	/* Only ours, not in the snapshot: its close says we ended. */
	if (open("/data/big.bin", O_RDONLY) < 0)
		return 2;
	uint64_t before = open_descriptions();	/* big.bin's among them */
	if (setjmp(jb)) {
		/* The child: wait until the server has closed our parent's
		 * files, then claim. */
		for (int i = 0; i < 20000 && open_descriptions() >= before; i++)
			sys_yield();
		if (open_descriptions() >= before)
			_exit(3);
		struct ipc_msg m = { .w = { (uint64_t)snap } };
		if (fs_call(FS_FORK_CLAIM, &m, 0) != 0)
			_exit(4);
		if (read(fd, b, 6) != 6 || memcmp(b, "hello\n", 6))
			_exit(5);
		_exit(0);
	}
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	struct ipc_msg m = { .info = ipc_info(PAGER_FORK, 0, 0),
			     .w = { (uint64_t)fork_child_entry, (sp - 512) & ~15ul, (uint64_t)&jb } };
	int64_t r = pager_call(&m);
	fs_fork_parent(snap, r);
	return r > 0 ? 0 : 6;	/* ends at once, before the child claims */
}

/*
 * An open refused with ENFILE (the server's open-file table full) leaves
 * no file behind, even with O_CREAT. The server runs with a table of 400
 * ("files=400"); children fill it: each holds its 32 descriptors and 4
 * fork snapshots' worth (FS_FORK_PREPARE without forking), 160
 * descriptions, until the server has no more.
 */
static void nfile(void);

int run_nfile(void)
{
	const struct proc_start *ps = &libsys_start_info;

	CHECK(fs_start_with(ps->devices, ps->ndevices, "files=400") > 0);
	if (t_failures == 0)
		nfile();
	return t_done("fs nfile");
}

static void nfile(void)
{
	const char *argv[] = { "test_fs", "child-fill", NULL };
	int64_t kids[80];
	int nkids = 0, fd = -1, status;
	struct stat st;

	unlink("/nfile");
	while (nkids < 80) {
		fd = open("/nfile", O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			break;
		close(fd);
		unlink("/nfile");
		uint64_t before = open_descriptions(), now = before;
		if ((kids[nkids] = spawn(argv, 0)) <= 0) {
			printf("FAIL: nfile: spawn: %ld\n", (long)kids[nkids]);
			break;
		}
		nkids++;
		/* Until it holds its 160, or stalls (the table is full). */
		for (int still = 0; still < 300 && now < before + 5 * FS_FD_MAX; ) {
			sys_yield();
			uint64_t n = open_descriptions();
			still = n == now ? still + 1 : 0;
			now = n;
		}
	}
	CHECK_EQ(fd, -1);
	CHECK_EQ(errno, ENFILE);
	printf("fs: %d children filled the open-file table\n", nkids);
	ERRNO(stat("/nfile", &st), ENOENT);	/* not created */
	ERRNO(open("/data/hello.txt", O_RDONLY), ENFILE);
	for (int i = 0; i < nkids; i++) {
		kill((pid_t)kids[i], SIGKILL);
		CHECK_EQ(waitpid((pid_t)kids[i], &status, 0), kids[i]);
	}
	for (int i = 0; i < 1000; i++) {
		if ((fd = open("/data/hello.txt", O_RDONLY)) >= 0)
			break;
		sys_yield();
	}
	CHECK(fd >= 0);
	close(fd);
}

int child_fill(void)
{
	for (int round = 0; round <= FS_SNAP_MAX; round++) {
		int n = 0;
		while (n < FS_FD_MAX && open("/data/hello.txt", O_RDONLY) >= 0)
			n++;
		if (n < FS_FD_MAX || round == FS_SNAP_MAX || fs_fork_prepare() <= 0)
			break;	/* the table is full, or we hold our share */
		for (int k = 0; k < FS_FD_MAX; k++)
			close(FD_BASE + k);
	}
	for (;;)
		sys_yield();	/* until killed */
}

/* A cold sequential read in 4 KiB read()s is read from the disk in runs
 * (the server reads ahead on a miss), not one request a call: the first
 * MiB of /data/cold.bin, out of the cache since not_blocked's child read
 * all 4 MiB through the 2 MiB cache. */
void readahead(void)
{
	struct ipc_msg m = { 0 };
	int fd = open("/data/cold.bin", O_RDONLY);
	long total = 0;

	CHECK(fd >= 0);
	CHECK_EQ(fs_call(FS_DISKSTATS, &m, 0), 0);
	uint64_t reads0 = m.w[3], blocks0 = m.w[1];
	while (total < (1l << 20) && read(fd, buf, 4096) == 4096)
		total += 4096;
	close(fd);
	CHECK_EQ(total, 1l << 20);
	memset(&m, 0, sizeof(m));
	CHECK_EQ(fs_call(FS_DISKSTATS, &m, 0), 0);
	printf("fs: 1 MiB read cold in 4 KiB calls: %lu blocks in %lu disk requests\n",
	       (unsigned long)(m.w[1] - blocks0), (unsigned long)(m.w[3] - reads0));
	CHECK(m.w[1] - blocks0 >= 200);		/* it was not cached */
	CHECK(m.w[3] - reads0 <= 48);		/* 256 calls, runs of 32 blocks */
}

/*
 * A child may claim only the fork snapshot made for it. P forks A, then
 * opens /data/big.bin and makes a snapshot as fork does before the next
 * fork; A empties its table and claims that snapshot (its seq is easy to
 * guess) before P has bound it to the child it is for: refused (it held
 * a file opened after A's own fork, and that fork's child would have
 * lost its descriptors), and P can still cancel it.
 */
static volatile int64_t *sib;	/* [0] the seq, [1] A's claim, [2] A claimed */

static int sibling_parent(void)
{
	int st;
	pid_t a = fork();

	if (a < 0)
		return 1;
	if (a == 0) {
		for (int i = 0; i < 20000 && !sib[0]; i++)
			sys_yield();
		for (int fd = 0; fd < FS_FD_MAX; fd++)
			close(FD_BASE + fd);
		struct ipc_msg m = { .w = { (uint64_t)sib[0] } };
		sib[1] = fs_call(FS_FORK_CLAIM, &m, 0);
		sib[2] = 1;
		_exit(0);
	}
	if (open("/data/big.bin", O_RDONLY) < 0)
		return 2;
	int64_t seq = fs_fork_prepare();
	if (seq <= 0)
		return 3;
	sib[0] = seq;
	for (int i = 0; i < 20000 && !sib[2]; i++)
		sys_yield();
	struct ipc_msg m = { .w = { (uint64_t)seq } };
	int64_t cancel = fs_call(FS_FORK_CANCEL, &m, 0);
	if (waitpid(a, &st, 0) != a)
		return 4;
	if (sib[1] == 0)
		return 5;	/* the sibling took it */
	return cancel == 0 ? 0 : 6;
}

void sibling_claim(void)
{
	int st = -1;

	sib = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sib != MAP_FAILED);
	if (sib == MAP_FAILED)
		return;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(sibling_parent());
	CHECK(p > 0);
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(WIFEXITED(st));
	if (WEXITSTATUS(st))
		printf("FAIL: sibling_claim: %d (claim %ld)\n", WEXITSTATUS(st), (long)sib[1]);
	CHECK_EQ(WEXITSTATUS(st), 0);
	munmap((void *)sib, 4096);
}

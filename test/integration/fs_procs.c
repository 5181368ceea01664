/*
 * test_fs: processes and files (descriptors closed however a process
 * ends), attacks on the server's rules, and the server answering one
 * client while another's reads wait for the disk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
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
	 * end from the pager). */
	for (int i = 0; i < 100; i++)
		sys_yield();
	memset(&m, 0, sizeof(m));
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	CHECK_EQ(m.w[5], open0);
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
	for (i = 0; i < 20; i++)
		made += fs_fork_prepare() > 0;
	if (made != FS_SNAP_MAX)
		bad |= 32;
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

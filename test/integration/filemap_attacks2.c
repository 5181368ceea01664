/*
 * test_filemap's "attacks2" mode: signals flooding faults that wait on
 * the disk and an msync(MS_SYNC); MADV_DONTNEED on a dirty shared page;
 * msync over mixed VMAs; truncate-then-grow; mremap/mmap of the file over
 * the IPC buffer, past USER_TOP, at huge offsets; signal frames on a
 * stack in a file page not resident.
 */
#include "filemap_attack.h"

/* ---- attacks2: a second reviewer's attacks ---- */

static void on_usr1_exit(int sig)
{
	(void)sig;
	_exit(7);
}

/* The child spins with sp in a MAP_SHARED file mapping whose page below
 * sp is not resident: a signal's frame goes there. */
static int frame_in_file(void *arg)
{
	volatile char *map = arg;
	struct sigaction sa = { .sa_handler = on_usr1_exit };

	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	flags[1] = 1;
	/* Room below for the frame and the handler's copy of the IPC
	 * buffer (docs/signals.md): both in the file. */
	uint64_t sp = (uint64_t)map + 2 * PS + 64;
	__asm__ volatile("mv sp, %0\n1: j 1b" : : "r"(sp) : "memory");
	return 2;
}

/* The same for a fault's SIGSEGV: sp in the file, then a load from 0. */
static int segv_frame_in_file(void *arg)
{
	volatile char *map = arg;
	struct sigaction sa = { .sa_handler = on_usr1_exit };

	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		return 1;
	uint64_t sp = (uint64_t)map + 3 * PS + 64;
	__asm__ volatile("mv sp, %0\nld zero, 0(zero)\n1: j 1b" : : "r"(sp) : "memory");
	return 2;
}

static int fixed_over_self(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint64_t sp;
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	/* MAP_FIXED over our own stack page and over our code: either is
	 * refused or we die; the pager must live. */
	void *r = mmap((void *)((uint64_t)frame_in_file & ~(PS - 1)), PS, PROT_READ | PROT_EXEC,
		       MAP_SHARED | MAP_FIXED, fd, 0);
	(void)r;
	r = mmap((void *)(sp & ~(PS - 1)), PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	return 0;
}


static void on_usr1_count(int sig)
{
	(void)sig;
	flags[3]++;
}

/* Reads the cold file with a handler that counts SIGUSR1s. */
static int flooded_reader(void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1_count, .sa_flags = SA_RESTART };

	(void)arg;
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || sigaction(SIGALRM, &sa, NULL) != 0)
		return 9;
	for (int i = 0; i < 2000; i++)	/* alarm storm: set and cancel */
		alarm(i & 1 ? 0 : 100);
	alarm(0);
	return cold_reader(0);
}

/* Dirties a big mapping and msyncs it: killed, or signalled, meanwhile. */
static int big_syncer(void *arg)
{
	int fd = make_file("/b3", 256 * PS, 14);
	struct sigaction sa = { .sa_handler = on_usr1_count };
	volatile char *m = fd < 0 ? MAP_FAILED : mmap(NULL, 256 * PS, RW, MAP_SHARED, fd, 0);

	(void)arg;
	if (m == MAP_FAILED || sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	for (int round = 0; round < 4; round++) {
		for (uint64_t i = 0; i < 256 * PS; i += PS)
			m[i] = (char)('A' + round);
		flags[0] = 1;
		if (msync((void *)m, 256 * PS, MS_SYNC) != 0)
			return 2;
	}
	return 0;
}

static void flood_waiters(void)
{
	int status;
	pid_t pid;
	uint64_t m0[6];

	mapstats(m0);
	/* Signals flooding a process whose faults wait on the disk. */
	flags[0] = 0;
	flags[3] = 0;
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(flooded_reader(NULL));
	while (!flags[0])
		sys_yield();
	for (int i = 0; i < 3000; i++) {
		if (kill(pid, i % 3 ? SIGUSR1 : SIGALRM) != 0)
			break;
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		printf("flooded_reader: status %#x\n", status);
	CHECK(flags[3] >= 1);
	/* Signals, then SIGKILL, while msync(MS_SYNC) waits. */
	for (int round = 0; round < 3; round++) {
		flags[0] = 0;
		fflush(stdout);
		if ((pid = fork()) == 0)
			_exit(big_syncer(NULL));
		while (!flags[0])
			sys_yield();
		for (int i = 0; i < 200 * round; i++)
			kill(pid, SIGUSR1);
		if (round < 2)
			kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (round == 2) {
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
				printf("big_syncer: status %#x\n", status);
		}
	}
	unlink("/b3");
	holds_back_to(m0[5], 500);
}


/* Hostile address games with file mappings: each is refused, or kills
 * only us; afterwards the file server and pager serve everyone. */
static int window_games(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[64];
	void *p = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0), *q;

	if (p == MAP_FAILED)
		return 1;
	/* Grow huge, move over the IPC buffer, over USER_TOP. */
	q = mremap(p, 2 * PS, 1ul << 37, MREMAP_MAYMOVE);
	if (q != MAP_FAILED)
		p = q;
	q = mremap(p, PS, PS, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)PROC_IPCBUF_VA);
	(void)q;
	q = mmap((void *)(USER_TOP - PS), 2 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	q = mmap((void *)(USER_TOP - PS), PS, RW, MAP_SHARED | MAP_FIXED, fd, ~0ul & ~(PS - 1));
	q = mmap(NULL, PS, RW, MAP_SHARED, fd, (1ul << 63) - PS);
	if (q != MAP_FAILED)
		(void)*(volatile char *)q;
	mprotect((void *)PROC_IPCBUF_VA, PS, PROT_READ);
	/* The file over our IPC buffer, then messages through it. */
	q = mmap((void *)PROC_IPCBUF_VA, PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	int f2 = open("/data/readonly.txt", O_RDONLY);
	if (f2 >= 0)
		(void)read(f2, buf, sizeof(buf));
	msync((void *)PROC_IPCBUF_VA, PS, MS_SYNC | MS_INVALIDATE);
	madvise((void *)PROC_IPCBUF_VA, PS, MADV_DONTNEED);
	munmap((void *)PROC_IPCBUF_VA, PS);
	f2 = open("/data/readonly.txt", O_RDONLY);
	if (f2 >= 0)
		(void)read(f2, buf, sizeof(buf));
	return 0;
}

void attacks2(void)
{
	int fd = make_file("/b1", 4 * PS, 12), status;
	volatile char *m;

	CHECK(fd >= 0);
	flags = shared_page();
	flood_waiters();
	/* A dirty shared page dropped by MADV_DONTNEED is still the file's. */
	m = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	m[5] = 'X';
	CHECK_EQ(madvise((void *)m, 2 * PS, MADV_DONTNEED), 0);
	CHECK_EQ(m[5], 'X');
	/* msync over file and anonymous VMAs side by side. */
	void *a = mmap((void *)(m + 2 * PS), PS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(a != MAP_FAILED);
	CHECK_EQ(msync((void *)m, 3 * PS, MS_SYNC), 0);
	CHECK_EQ(msync((void *)m, 3 * PS, MS_INVALIDATE), 0);
	CHECK_EQ(m[5], 'X');
	munmap((void *)m, 3 * PS);
	/* Truncate below a dirty page, then grow: the page reads zeros. */
	m = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	m[PS + 9] = 'Z';
	CHECK_EQ(ftruncate(fd, PS), 0);
	CHECK_EQ(ftruncate(fd, 2 * PS), 0);
	CHECK_EQ(m[PS + 9], 0);
	char c = 1;
	CHECK_EQ(pread(fd, &c, 1, PS + 9), 1);
	CHECK_EQ(c, 0);
	munmap((void *)m, 2 * PS);
	CHECK_EQ(ftruncate(fd, 4 * PS), 0);
	status = in_child(window_games, (void *)(intptr_t)fd);
	CHECK(status != -1);
	printf("window_games: status %#x\n", status);
	CHECK_EQ(pager_check(), 0);
	/* MAP_FIXED of the file over one's own code and stack. */
	status = in_child(fixed_over_self, (void *)(intptr_t)fd);
	CHECK(status != -1);
	/* A signal frame in a file page that is not resident. */
	int fd2 = make_file("/b2", 4 * PS, 13);
	m = mmap(NULL, 4 * PS, RW, MAP_SHARED, fd2, 0);
	CHECK(m != MAP_FAILED);
	flags[1] = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(frame_in_file((void *)m));
	while (!flags[1])
		sys_yield();
	for (int i = 0; i < 20; i++)
		sys_yield();
	kill(pid, SIGUSR1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 7))
		printf("frame_in_file: status %#x\n", status);
	status = in_child(segv_frame_in_file, (void *)m);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 7))
		printf("segv_frame_in_file: status %#x\n", status);
	munmap((void *)m, 4 * PS);
	close(fd2);
	close(fd);
	unlink("/b1");
	unlink("/b2");
}

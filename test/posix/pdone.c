/*
 * Issue 11's "Done when": a plain POSIX C program, built unmodified with
 * tools/cc (cc -O2 -Wall -o pdone pdone.c), that opens and maps a file,
 * forks, catches SIGSEGV with sigaction and siglongjmps out of it,
 * catches SIGBUS past the end of the file, checks errno values and talks
 * to its child through pipes. Exit status 0 if every check passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define EXPECT(c) do { if (!(c)) { printf("pdone: FAILED %s (line %d)\n", #c, __LINE__); failures++; } } while (0)

static sigjmp_buf env;
static volatile sig_atomic_t got_sig, got_code;
static void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(env, 1);
}

/* Touch p (a store if write); the signal it raised, 0 if none. */
static int touch(volatile char *p, int write)
{
	got_sig = 0;
	if (sigsetjmp(env, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	return got_sig;
}

int main(void)
{
	const char *path = "/tmp/pdone.data";
	long page = sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	int fd, up[2], down[2], status;
	char *map, msg[64];
	sigset_t mask;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	EXPECT(sigaction(SIGSEGV, &sa, NULL) == 0 && sigaction(SIGBUS, &sa, NULL) == 0);

	/* errno values. */
	errno = 0;
	EXPECT(open("/tmp/pdone.none", O_RDONLY) == -1 && errno == ENOENT);
	errno = 0;
	EXPECT(mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, 99, 0) == MAP_FAILED && errno == EBADF);
	errno = 0;
	EXPECT(munmap((void *)1, (size_t)page) == -1 && errno == EINVAL);
	errno = 0;
	EXPECT(close(99) == -1 && errno == EBADF);

	/* A file of one page and a half, mapped as three pages. */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	EXPECT(fd >= 0);
	EXPECT(ftruncate(fd, page + page / 2) == 0);
	EXPECT(pwrite(fd, "parent", 6, 0) == 6);
	map = mmap(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(map != MAP_FAILED);
	if (map == MAP_FAILED)
		return 1;
	EXPECT(memcmp(map, "parent", 6) == 0);

	/* SIGBUS past the end of the file (the third page), out by siglongjmp. */
	EXPECT(touch(map + 2 * page + 8, 0) == SIGBUS);
	EXPECT(got_code == BUS_ADRERR && got_addr == map + 2 * page + 8);
	/* The tail of the last page is zeros and usable. */
	EXPECT(touch(map + page + page / 2 + 1, 0) == 0 && map[page + page / 2 + 1] == 0);
	/* SIGSEGV: a store to a read-only page, then an unmapped one. */
	EXPECT(mprotect(map, (size_t)page, PROT_READ) == 0);
	EXPECT(touch(map, 1) == SIGSEGV && got_code == SEGV_ACCERR && got_addr == map);
	EXPECT(mprotect(map, (size_t)page, PROT_READ | PROT_WRITE) == 0);
	char *gone = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(gone != MAP_FAILED && munmap(gone, (size_t)page) == 0);
	EXPECT(touch(gone, 0) == SIGSEGV && got_code == SEGV_MAPERR);
	/* siglongjmp restored the mask: neither signal is blocked now. */
	EXPECT(sigprocmask(SIG_BLOCK, NULL, &mask) == 0);
	EXPECT(!sigismember(&mask, SIGSEGV) && !sigismember(&mask, SIGBUS));

	/* fork: the child shares the mapping and the file, and the pipes. */
	EXPECT(pipe(up) == 0 && pipe(down) == 0);
	pid = fork();
	EXPECT(pid >= 0);
	if (pid == 0) {
		int bad = 0;
		close(up[0]);
		close(down[1]);
		/* The child's own faults are caught as well. */
		bad += touch(map + 2 * page, 1) != SIGBUS;
		bad += memcmp(map, "parent", 6) != 0;
		memcpy(map + 100, "child", 5);	/* MAP_SHARED: the parent sees it */
		snprintf(msg, sizeof(msg), "hello %d", (int)getpid());
		bad += write(up[1], msg, strlen(msg) + 1) != (ssize_t)strlen(msg) + 1;
		/* Wait for the parent's answer, then EOF. */
		bad += read(down[0], msg, sizeof(msg)) != 3 || memcmp(msg, "ok", 3) != 0;
		bad += read(down[0], msg, sizeof(msg)) != 0;
		_exit(bad ? 1 : 0);
	}
	close(up[1]);
	close(down[0]);
	char want[64];
	snprintf(want, sizeof(want), "hello %d", (int)pid);
	EXPECT(read(up[0], msg, sizeof(msg)) == (ssize_t)strlen(want) + 1 && strcmp(msg, want) == 0);
	EXPECT(memcmp(map + 100, "child", 5) == 0);
	EXPECT(write(down[1], "ok", 3) == 3);
	close(down[1]);
	EXPECT(read(up[0], msg, sizeof(msg)) == 0);	/* the child ended: EOF */
	EXPECT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(up[0]);

	/* The file has what both wrote through the mapping once synced. */
	EXPECT(msync(map, 2 * (size_t)page, MS_SYNC) == 0);
	EXPECT(pread(fd, msg, 5, 100) == 5 && memcmp(msg, "child", 5) == 0);
	EXPECT(munmap(map, 3 * (size_t)page) == 0);
	close(fd);
	unlink(path);
	printf("pdone: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
